"""The go-no-go page rendered from results documents (tests/report_samples.py builds them)."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser

import pytest
from report_samples import sample_document, sample_history

from pytest_launch.outputs.digest import digest
from pytest_launch.outputs.html import render_html

PAYLOAD = "<img src=x onerror=\"document.title='pwned'\"></script><script>alert(1)</script>"


class Collector(HTMLParser):
    """Start tags with their attributes and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else len(page)]


@pytest.mark.parametrize("kwargs, word, css", [
    ({}, "NO-GO", "v-nogo"),
    ({"rollback": True}, "ROLLBACK", "v-rollback"),
    ({"fail_rate": 0.0, "stage": 25}, "HOLD", "v-nogo"),
])
def test_banner_shows_the_display_verdict(kwargs, word, css):
    doc = sample_document(40, **kwargs)
    page = render_html(doc, [])
    assert doc["display_verdict"] == word
    banner = page[page.index('<header class="banner'):page.index("</header>")]
    assert f'class="banner {css}"' in banner
    assert f">{word}</div>" in banner
    assert "prod" in banner and "t_minus_7" in banner or "t_0" in banner
    assert "https://github.com/musicconnect/launch/actions/runs/1234" in banner


def test_go_and_go_with_risks_banners():
    doc = sample_document(40)
    for verdict, display, css in (("GO", "GO", "v-go"), ("GO_WITH_RISKS", "GO WITH RISKS", "v-risks")):
        doc.update(verdict=verdict, display_verdict=display)
        page = render_html(doc, [])
        assert f'class="banner {css}"' in page
        assert f">{display}</div>" in page


def test_incomplete_run_is_said_in_the_banner():
    page = render_html(sample_document(40, complete=False), [])
    banner = page[:page.index("</header>")]
    assert "INCOMPLETE evidence" in banner
    assert "worker gw1 crashed" in banner
    complete_page = render_html(sample_document(40), [])
    assert "Evidence complete" in complete_page and "INCOMPLETE" not in complete_page


def test_page_is_self_contained_and_its_script_is_allowed_only_by_hash():
    page = render_html(sample_document(200), sample_history(sample_document(200)))
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img"), tag
        if tag == "script":
            assert "src" not in attrs
        if tag == "a":  # only links to the CI run, sign-off evidence and anchors in the page
            href = attrs.get("href") or ""
            assert href.startswith(("#", "https://")), href
    assert "@import" not in page and "url(" not in page
    csp = html.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"',
                                  page).group(1))
    assert "default-src 'none'" in csp
    (script,) = parsed.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


def test_outside_strings_are_escaped_everywhere():
    doc = sample_document(40, payload=PAYLOAD)
    doc["headline"] = PAYLOAD
    doc["run"]["markexpr"] = PAYLOAD
    doc["environment"]["name"] = PAYLOAD
    doc["rollback_steps"] = [PAYLOAD]
    history = sample_history(doc)
    history[-1]["display_verdict"] = PAYLOAD
    page = render_html(doc, history)
    assert PAYLOAD not in page
    assert "<img" not in page
    assert page.count("<script") == 1  # ours, at the end
    assert "&lt;img src=x onerror=" in page
    parsed = parse(page)
    assert not any("onerror" in attrs for _tag, attrs in parsed.tags)
    visible = "".join(parsed.text)
    assert PAYLOAD in visible  # shown as text, in the reasons, the checks table and more
    assert visible.count(PAYLOAD) >= 8


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", " javascript:x"])
def test_non_http_links_are_not_clickable(url):
    doc = sample_document(10)
    doc["run"]["ci_url"] = url
    doc["signoffs"][0]["evidence"] = url
    page = render_html(doc, [])
    assert not any((attrs.get("href") or "").strip().lower().startswith(("javascript", "data"))
                   for tag, attrs in parse(page).tags if tag == "a")
    assert "alert(1)" in page or "text/html" in page or "javascript:x" in page  # still shown


def test_the_top_of_the_page_answers_in_the_meeting_s_order():
    # verdict and why, the to-dos by owner, accepted risks, what changed; then the appendix
    doc = sample_document(200)
    page = render_html(doc, sample_history(doc))
    order = ['class="verdict-word"', 'id="why"', 'id="todo"', 'id="accepted"', 'id="changes"',
             'id="appendix"', 'id="matrix"', 'id="coverage"', 'id="waivers"', 'id="trend"', 'id="checks"']
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    why = re.search(r'<p class="why" id="why">(.*?)</p>', page, re.S).group(1)
    assert html.unescape(why) == digest(doc, sample_history(doc)[-1]).why
    assert why.count(".") <= 1 and "\n" not in why.strip()  # one sentence


def test_to_dos_are_grouped_by_owner_most_severe_first_one_short_line_each():
    doc = sample_document(200)
    doc["reasons"].reverse()  # the page must not rely on the document's order
    page = render_html(doc, [])
    todo = section(page, "todo")
    owners = [html.unescape(o) for o in re.findall(r'<h3 class="owner">(.*?) <span class="n">', todo)]
    expected = digest(doc)
    assert owners == [g.owner for g in expected.groups] and len(owners) >= 3
    severities = re.findall(r'<li class="todo sev-([a-z]+) c-', todo)
    assert len(severities) == sum(1 for r in doc["reasons"] if r["blocking"])
    # within each owner, the most severe first
    rank = {"none": 0, "blocker": 0, "critical": 1, "normal": 2, "minor": 3, "trivial": 4}
    for group in re.split(r'<h3 class="owner">', todo)[1:]:
        ranks = [rank[s] for s in re.findall(r'<li class="todo sev-([a-z]+) c-', group)]
        assert ranks == sorted(ranks)
    # a line: item id and title once, the failure in plain words; the test id only in the detail
    failed = next(r for r in doc["reasons"] if r["blocking"] and r["code"] == "failed" and r["checklist"])
    line = next(li for li in re.findall(r"<summary>(.*?)</summary>", todo, re.S) if failed["checklist"] in li)
    assert line.count(failed["checklist"]) == 1
    assert "::" not in line and "readiness/" not in line
    check = next(c for c in doc["checks"] if c["nodeid"] == failed["nodeid"])
    detail = todo[todo.index(line):]
    detail = detail[:detail.index("</details>")]
    assert f"<code>{html.escape(failed['nodeid'])}</code>" in detail
    for key in check["evidence"]:
        assert f"<dt>{key}</dt>" in detail


def test_evidence_is_readable_key_value_rows_with_records_as_a_small_table():
    doc = sample_document(200)
    check = next(c for c in doc["checks"] if c["outcome"] == "failed" and c["blocking"] and not c["waiver"])
    check["evidence"] = {
        "tls www.example.com:443": {"days_left": 19, "hostname_matches": True, "issuer": "R3", "verified": True},
        "tls api.example.com:443": {"days_left": 364, "hostname_matches": True, "issuer": "R3", "verified": True},
    }
    passed = next(c for c in doc["checks"] if c["outcome"] == "passed")
    passed["evidence"] = {"http GET https://x.example/health": {"status": 200, "redirects": [],
                                                                 "headers": {"Server": "catalog"}},
                          "token": "***", "note": "n" * 900, "cookies": [{"name": "session", "secure": True}]}
    page = render_html(doc, [])
    todo = section(page, "todo")
    table = re.search(r'<table class="evt">(.*?)</table>', todo, re.S).group(1)
    assert re.findall(r"<th>([a-z_]+)</th>", table) == ["days_left", "hostname_matches", "issuer", "verified"]
    assert "<th>tls www.example.com:443</th><td>19</td><td>true</td><td>R3</td><td>true</td>" in table
    assert "{&#34;" not in todo and '{"' not in todo  # no JSON dumps
    checks = section(page, "checks")
    row = checks[checks.index(html.escape(passed["nodeid"])):]
    row = row[:row.index("<tr class=")]
    assert "<details><summary>" in row  # collapsed
    assert "<dt>http GET https://x.example/health</dt><dd><dl class=\"ev\"><dt>status</dt><dd>" in row
    assert "<dt>Server</dt>" in row  # nested values as nested rows
    assert "<dt>token</dt><dd><span class=\"evv\">***</span>" in row  # redacted stays redacted
    assert "n" * 599 in row and "n" * 601 not in row  # long values wrapped (CSS), clipped at 600
    assert "<th>name</th><th>secure</th>" in row  # a list of records: a small table


def test_a_few_endpoints_of_many_fields_are_a_table_with_one_column_per_endpoint():
    doc = sample_document(40)
    fields = {"days_left": 364, "min_days_left": 364, "not_after": "2027-11-25", "issuer": "R3", "verified": True,
              "verify_error": None, "hostname_matches": True, "protocol": "TLSv1.3"}
    doc["checks"][0]["evidence"] = {"tls www.example.com:443": dict(fields),
                                    "tls api.example.com:443": dict(fields, days_left=19)}
    checks = section(render_html(doc, []), "checks")
    table = re.search(r'<table class="evt">(.*?)</table>', checks, re.S).group(1)
    assert "<th></th><th>tls www.example.com:443</th><th>tls api.example.com:443</th>" in table
    assert "<tr><th>days_left</th><td>364</td><td>19</td></tr>" in table
    assert "<tr><th>verify_error</th><td>none</td><td>none</td></tr>" in table
    # with other values beside the endpoints: the endpoints' table, then the rest as rows
    doc["checks"][0]["evidence"]["min_days_left"] = 30
    doc["checks"][0]["evidence"]["tls check"] = {"threshold_days": 30, "problems": 0}
    checks = section(render_html(doc, []), "checks")
    row = checks[checks.index(html.escape(doc["checks"][0]["nodeid"])):]
    row = row[:row.index("</details>")]
    assert "<th></th><th>tls www.example.com:443</th><th>tls api.example.com:443</th>" in row
    assert "<dt>min_days_left</dt><dd><span class=\"evv\">30</span></dd>" in row
    assert "<dt>threshold_days</dt>" in row
    # the collapsed line says what it holds, not a JSON dump
    assert "<summary>tls www.example.com:443, tls api.example.com:443, min_days_left, tls check (4 entries)" \
           "</summary>" in row


def test_accepted_risks_say_who_until_when_and_no_evidence():
    doc = sample_document(40)
    target = next(c for c in doc["checks"] if c["outcome"] == "skipped") if any(
        c["outcome"] == "skipped" for c in doc["checks"]) else doc["checks"][0]
    target.update(outcome="skipped", message="not configured: no [cdn] table in readiness/environments/prod.toml")
    target["waiver"] = {"check": target["nodeid"], "reason": "CDN goes live after launch", "owner": "platform",
                        "approved_by": "vp-eng", "expires": "2025-03-20", "created": None}
    doc["waivers"].append({**target["waiver"], "status": "used", "matched": [target["nodeid"]],
                           "accepts": ["skipped"], "accepts_no_evidence": ["skipped"], "environments": ["prod"]})
    doc["run"]["judged_on"] = "2025-03-03"
    accepted = section(render_html(doc, []), "accepted")
    assert "accepted by <b>vp-eng</b> until <b>2025-03-20</b> (17 days left) for prod: CDN goes live" in accepted
    assert "NO EVIDENCE accepted (skipped)" in accepted
    assert "accepted by <b>cto</b>" in accepted  # the sample's waived failure
    assert accepted.count('<li class="accepted') == 2


def test_matrix_counts_passed_failed_waived_missing_per_phase_and_category():
    doc = sample_document(40)
    page = render_html(doc, [])
    matrix = section(page, "matrix")
    infra = [c for c in doc["checks"] if c["phase"] == "t_minus_7" and c["category"] == "infra"]
    passed = sum(1 for c in infra if c["outcome"] == "passed")
    waived = sum(1 for c in infra if c["waiver"])
    row = matrix[matrix.index("<th>t_minus_7</th>"):]
    first_cell = row[row.index("<td"):row.index("</td>")]
    numbers = [int(n) for n in re.findall(r">(\d+)</span>", first_cell)]
    assert numbers[0] == passed and numbers[2] == waived
    assert sum(numbers) == len(infra)


def test_checklist_coverage_waivers_and_signoffs():
    page = render_html(sample_document(40), [])
    coverage = section(page, "coverage")
    assert "manual signed 1" in coverage
    assert "manual missing 4" in coverage
    assert "uncovered 1" in coverage
    assert 'id="i-INF-07"' in coverage
    waivers = section(page, "waivers")
    assert "EXPIRED — no effect" in waivers and "UNUSED" in waivers
    assert "ciso" in waivers and "2025-03-02" in waivers
    assert "alice (security lead)" in waivers and "EXPIRED" in waivers


def test_every_check_has_one_row_and_failures_come_first():
    doc = sample_document(300)
    page = render_html(doc, [])
    rows = re.findall(r'<tr class="?o-([a-z]+)', page)
    assert len(rows) == len(doc["checks"])
    assert rows.index("passed") > max(i for i, key in enumerate(rows) if key == "failed")
    controls = section(page, "checks")
    assert 'id="controls" class="controls" hidden' in controls  # shown by the script only


def test_trend_and_what_changed_since_the_previous_run():
    doc = sample_document(40)
    failing_now = [c["nodeid"] for c in doc["checks"] if c["outcome"] in ("failed", "missing")
                   and not c["waiver"]]
    passing_now = [c["nodeid"] for c in doc["checks"] if c["outcome"] == "passed"]
    history = [
        {"time": "2025-03-01T02:00:00+00:00", "verdict": "GO", "display_verdict": "GO",
         "failing_blockers": 0, "failing": []},
        {"time": "2025-03-02T02:00:00+00:00", "verdict": "NO_GO", "display_verdict": "NO-GO",
         "failing_blockers": 5, "failing": failing_now[1:] + passing_now[:2]},
    ]
    page = render_html(doc, history)
    trend = section(page, "trend")
    assert trend.count("<rect") == 3
    assert "b-go" in trend and "b-nogo" in trend and ">now<" in trend
    changes = section(page, "changes")
    newly_failing = changes[changes.index("Newly failing"):changes.index("Newly passing")]
    assert "Newly failing (1)" in newly_failing and failing_now[0] in newly_failing
    assert "Newly passing (2)" in changes
    for nodeid in passing_now[:2]:
        assert nodeid in changes
    assert "NO-GO</b> → now" in changes and "2025-03-02 02:00:00 UTC" in changes
    assert "now <b>NO-GO</b>; 1 newly failing, 2 fixed" in changes


def test_current_run_already_in_history_is_not_counted_twice():
    doc = sample_document(40)
    history = sample_history(doc, runs=3)
    history.append({"started": doc["run"]["started"], "verdict": doc["verdict"],
                    "failing_blockers": 9, "failing": []})
    trend = section(render_html(doc, history), "trend")
    assert trend.count("<rect") == 4


def test_no_history_says_so():
    page = render_html(sample_document(10), [])
    assert "<svg" not in section(page, "trend") and "first recorded run" in section(page, "changes")


def test_rollback_steps_shown_when_present_and_absence_tolerated():
    doc = sample_document(40, rollback=True, rollback_steps=["Enable maintenance mode",
                                                             "Route traffic to previous version"])
    page = render_html(doc, [])
    steps = section(page, "rollback")
    assert steps.index("Enable maintenance mode") < steps.index("Route traffic to previous version")
    assert page.index('id="why"') < page.index('id="rollback"') < page.index('id="todo"')
    doc["rollback_steps"] = [{"title": "Restore database", "runbook": "https://runbooks/db"}]
    assert "Restore database" in render_html(doc, [])
    del doc["rollback_steps"]
    assert 'id="rollback"' not in render_html(doc, [])


def test_five_thousand_checks_stay_under_one_and_a_half_megabytes():
    doc = sample_document(5000)
    page = render_html(doc, sample_history(doc))
    assert len(page.encode("utf-8")) < 1_500_000
    assert page.count("o-passed") >= 4000


def test_items_outside_the_selection_are_not_counted_as_missing():
    doc = sample_document(40)
    manual = next(i for i in doc["checklist"] if i["mode"] == "manual" and i["status"] == "unsigned")
    manual["status"] = "not_selected"
    coverage = section(render_html(doc, []), "coverage")
    assert "manual missing 3" in coverage
    assert "not selected by this run 1" in coverage


def test_a_value_the_page_does_not_have_fails_the_render_instead_of_showing_nothing():
    # StrictUndefined: a typo in a template ({{ d.verdcit }}) or a value the view never provides
    # raises, so the page never silently drops what it was meant to show
    import jinja2

    from pytest_launch.outputs.html import _environment

    with pytest.raises(jinja2.UndefinedError, match="verdcit"):
        _environment().from_string("{{ view.verdcit }}").render(view={"verdict": "GO"})
    with pytest.raises(jinja2.UndefinedError):
        _environment().from_string("{% if view.run.keywordexpr %}x{% endif %}").render(view={"run": {}})


def test_a_document_with_only_the_required_keys_renders_every_optional_value_explicitly():
    # an older or merged document without the optional run, environment, waiver and sign-off keys:
    # the view names their defaults, so the strict page still renders
    doc = sample_document()
    doc["run"] = {"started": doc["run"]["started"]}
    doc["environment"] = {}
    doc["waivers"] = [{k: w[k] for k in ("check", "status", "reason", "owner", "approved_by", "expires")}
                      for w in doc.get("waivers", [])]
    doc["signoffs"] = [{k: s[k] for k in ("item", "status", "by", "at", "evidence")} for s in doc.get("signoffs", [])]
    page = render_html(doc)
    assert f'data-verdict="{doc["verdict"]}"' in page
    assert "<b>markers</b> (none)" in page


def test_rich_evidence_on_thousands_of_checks_keeps_the_page_small():
    # every check with two TLS endpoints' worth of evidence: the decision's checks and the first
    # (failing) rows of the table get the readable rows; the rest their one line (all in the JSON)
    doc = sample_document(5000)
    endpoint = {"days_left": 364, "min_days_left": 364, "not_after": "2027-11-25T00:00:00+00:00",
                "issuer": "CN=R3,O=Let's Encrypt", "verified": True, "verify_error": None,
                "hostname_matches": True, "missing_intermediate": False, "protocol": "TLSv1.3",
                "key": "EC (secp256r1) 256", "signature_algorithm": "ecdsa-with-SHA256"}
    for check in doc["checks"]:
        check["evidence"] = {"tls www.example.com:443": dict(endpoint), "tls api.example.com:443": dict(endpoint)}
    page = render_html(doc, sample_history(doc))
    assert len(page.encode("utf-8")) < 4_000_000
    trees = page.count('<th>tls www.example.com:443</th>')
    assert 20 < trees < 500
    todo = section(page, "todo")
    first = todo[:todo.index("</li>")]
    assert '<th>tls www.example.com:443</th>' in first  # the decision's checks first
    assert section(page, "checks").count("<tr class=") == len(doc["checks"])
