"""render_all.write_report reads the document once for the page and the summary (issue 16): one
digest per write, handed to both renderers, and a digest that fails still gives both error pages."""

from __future__ import annotations

import json
import re

import pytest
from report_samples import sample_document, sample_history

import pytest_launch.outputs.html as html_module
import pytest_launch.outputs.markdown as markdown_module
import pytest_launch.outputs.render_all as render_all
from pytest_launch.outputs.digest import digest, previous_run
from pytest_launch.outputs.history import history_entry
from pytest_launch.outputs.html import render_html
from pytest_launch.outputs.markdown import render_markdown

# every module that calls the digest by its own name
DIGEST_USERS = (render_all, html_module, markdown_module)
GENERATED = re.compile(r" · \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · ")


def write(doc, folder, history):
    folder.mkdir(parents=True, exist_ok=True)
    history_file = folder / "history.jsonl"
    history_file.write_text("".join(json.dumps(line) + "\n" for line in history), encoding="utf-8")
    return render_all.write_report(doc, folder, history_file=history_file, step_summary=False)


@pytest.fixture
def digest_calls(monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[0])
        return digest(*args, **kwargs)

    for module in DIGEST_USERS:
        monkeypatch.setattr(module, "digest", counting)
    return calls


def test_one_digest_per_write_for_the_page_and_the_summary(tmp_path, digest_calls):
    doc = sample_document(60)
    write(doc, tmp_path / "a", sample_history(doc))
    assert len(digest_calls) == 1
    write(doc, tmp_path / "b", sample_history(doc))
    assert len(digest_calls) == 2  # once per write, never carried over to the next one
    page = (tmp_path / "b" / "go-no-go.html").read_text("utf-8")
    summary = (tmp_path / "b" / "go-no-go.md").read_text("utf-8")
    assert "could not be rendered" not in page + summary
    meeting = digest(doc, previous_run(doc, sample_history(doc)))
    assert meeting.changes is not None  # both show the one previous run
    assert f"({meeting.changes.time_before})" in summary
    assert "Previous run (" in page


def test_a_digest_that_fails_still_writes_both_error_pages_with_the_json_verdict(tmp_path, monkeypatch, capsys):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("a digest bug quoting <script>the document</script>")

    for module in DIGEST_USERS:
        monkeypatch.setattr(module, "digest", broken)
    doc = sample_document(40)
    written = write(doc, tmp_path, sample_history(doc))
    assert len(calls) == 1
    names = {path.name for path in written}
    assert {"go-no-go.json", "go-no-go.html", "go-no-go.md"} <= names
    assert json.loads((tmp_path / "go-no-go.json").read_text("utf-8"))["verdict"] == doc["verdict"]
    page = (tmp_path / "go-no-go.html").read_text("utf-8")
    summary = (tmp_path / "go-no-go.md").read_text("utf-8")
    assert "could not be rendered (ValueError)" in page and "could not be rendered (ValueError)" in summary
    assert f'data-verdict="{doc["verdict"]}"' in page
    assert summary.startswith(f"## {doc['display_verdict']}")
    err = capsys.readouterr().err
    assert "could not render the HTML page (ValueError)" in err
    assert "could not render the Markdown summary (ValueError)" in err
    assert "a digest bug" not in err + page + summary  # the type only: its text may quote the document


def test_the_given_digest_renders_what_the_renderers_compute_themselves():
    """render_all hands both renderers digest(doc, previous_run(doc, runs)) with runs holding this
    run's own line last: the page (which drops that line itself) and the summary read the same."""
    doc = sample_document(80)
    runs = sample_history(doc) + [history_entry(doc)]
    meeting = digest(doc, previous_run(doc, runs))
    assert GENERATED.sub(" · ", render_html(doc, runs, summary=meeting)) == \
        GENERATED.sub(" · ", render_html(doc, runs))
    assert render_markdown(doc, runs, summary=meeting) == render_markdown(doc, runs)
