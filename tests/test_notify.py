"""launch notify and --launch-notify against a real webhook server on loopback (http.server in a
thread, recording every request): the Slack, Teams and generic payloads; only on change by
default; a server that is down, answers 500 or never answers is reported and recorded, and changes
neither the verdict nor the exit code; the webhook URL (a secret) appears in no output."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from report_samples import sample_document

from launch_project import PROD, TODAY, make_project
from pytest_launch.cli import main
from pytest_launch.outputs.history import append_history
from pytest_launch.outputs.jsonfile import read_document

HOOK_PATH = "/services/T0LAUNCH/B0NOTIFY/xoxSecretHookToken42"  # the part of a webhook URL that is the secret
SECRET_PARTS = ("T0LAUNCH", "B0NOTIFY", "xoxSecretHookToken42")


class Webhook:
    """A recording webhook: `answer` is the status it replies with; `hold` makes it never answer
    (until the test ends), for the timeout."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer = 200
        self.hold = threading.Event()
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "json": json.loads(body or b"null")})
                if hook.hold.is_set():
                    hook.release.wait(30)
                    return
                self.send_response(hook.answer)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if hook.answer < 300 else b"internal trouble")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{HOOK_PATH}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch) -> Iterator[Webhook]:
    hook = Webhook()
    monkeypatch.setenv("LAUNCH_HOOK", hook.url)
    yield hook
    hook.close()


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for part in SECRET_PARTS:
            assert part not in text


def write(path, doc):
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def results(tmp_path):
    doc = sample_document(200)  # nine to-dos: more than a chat message lists
    doc["report_url"] = "https://reports.example/launch/prod/t_minus_7/go-no-go.html"
    return write(tmp_path / "go-no-go.json", doc)


# ---------------------------------------------------------------------------- the CLI, per format

def test_slack_payload_has_the_verdict_why_todos_and_the_page_button(results, webhook, capsys):
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}"]) == 0
    (request,) = webhook.requests
    assert request["path"] == HOOK_PATH and request["headers"]["Content-Type"] == "application/json"
    payload = request["json"]
    blocks = payload["blocks"]
    assert blocks[0]["type"] == "header" and "NO-GO" in blocks[0]["text"]["text"] and "prod" in blocks[0]["text"]["text"]
    assert blocks[1]["text"]["text"].startswith("NO-GO: ") and "to do" in blocks[1]["text"]["text"]
    todos = next(b for b in blocks if b["type"] == "section" and b["text"]["text"].startswith("*Before GO"))
    assert todos["text"]["text"].count("\u2022 ") == 5 and "more on the page" in todos["text"]["text"]
    (button,) = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert button["url"] == "https://reports.example/launch/prod/t_minus_7/go-no-go.html"
    assert payload["text"].startswith("\U0001f534 NO-GO")
    out = capsys.readouterr()
    assert "notification sent: slack ${LAUNCH_HOOK} (http://127.0.0.1:" in out.out and "HTTP 200" in out.out
    assert_no_secret(out.out, out.err, results.read_text())
    (record,) = read_document(results)["notifications"]
    assert record["status"] == "sent" and record["http_status"] == 200 and record["format"] == "slack"


def test_teams_payload_is_an_adaptive_card_in_attachments(results, webhook):
    assert main(["notify", str(results), "--to", "teams:${LAUNCH_HOOK}"]) == 0
    payload = webhook.requests[0]["json"]
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [block["text"] for block in card["body"]]
    assert "NO-GO" in texts[0] and card["body"][0]["color"] == "Attention"
    assert texts[1].startswith("NO-GO: ")
    assert any(text.startswith("Before GO") for text in texts)
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the go/no-go page",
                                "url": "https://reports.example/launch/prod/t_minus_7/go-no-go.html"}]


def test_generic_webhook_gets_the_summary_verdict_reasons_and_link(results, webhook):
    doc = read_document(results)
    assert main(["notify", str(results), "--to", "${LAUNCH_HOOK}", "--format", "webhook"]) == 0
    payload = webhook.requests[0]["json"]
    assert payload["verdict"] == "NO_GO" and payload["summary"] == doc["summary"]
    assert [r["text"] for r in payload["reasons"]] == [r["text"] for r in doc["reasons"]]
    assert payload["report_url"] == doc["report_url"] and payload["sentence"].startswith("NO-GO: ")
    assert len(payload["todos"]) == 9 and payload["todos"][0]["line"].startswith("platform: ")


def test_a_loopback_url_without_prefix_is_a_generic_webhook(results, webhook):
    assert main(["notify", str(results), "--to", "${LAUNCH_HOOK}"]) == 0
    assert webhook.requests[0]["json"]["tool"] == "pytest-launch"


# ------------------------------------------------------------------------------------- when

def test_only_on_change_by_default(tmp_path, webhook, capsys):
    doc = sample_document(40)
    results = write(tmp_path / "go-no-go.json", doc)
    append_history(tmp_path / "history.jsonl", sample_document(40, started=_yesterday()))  # the same verdict
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}"]) == 0
    assert webhook.requests == []
    assert "notification not sent: slack ${LAUNCH_HOOK}" in capsys.readouterr().out
    assert read_document(results)["notifications"][0]["status"] == "skipped"
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}", "--on", "always"]) == 0
    assert len(webhook.requests) == 1
    # a previous run with another verdict: a change
    earlier = sample_document(40, fail_rate=0.0, started=_yesterday())
    earlier.update(verdict="GO", display_verdict="GO")
    (tmp_path / "history.jsonl").unlink()
    append_history(tmp_path / "history.jsonl", earlier)
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}"]) == 0
    assert len(webhook.requests) == 2
    assert "the verdict changed: GO -> NO_GO" in capsys.readouterr().out


def test_nogo_sends_only_for_no_go(tmp_path, webhook):
    good = sample_document(20, fail_rate=0.0)
    good.update(verdict="GO", display_verdict="GO")
    results = write(tmp_path / "go-no-go.json", good)
    assert main(["notify", str(results), "--to", "${LAUNCH_HOOK}", "--on", "nogo"]) == 0
    assert webhook.requests == []
    bad = write(tmp_path / "bad.json", sample_document(20))
    assert main(["notify", str(bad), "--to", "${LAUNCH_HOOK}", "--on", "nogo", "--history", str(tmp_path / "h")]) == 2
    (tmp_path / "h").write_text("")
    assert main(["notify", str(bad), "--to", "${LAUNCH_HOOK}", "--on", "nogo", "--history", str(tmp_path / "h")]) == 0
    assert len(webhook.requests) == 1


def _yesterday():
    import datetime as dt

    return dt.datetime(2025, 3, 2, 2, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------------- failures

def test_a_server_that_is_down_is_reported_and_recorded_exit_0(results, closed_port, monkeypatch, capsys):
    monkeypatch.setenv("LAUNCH_HOOK", f"http://127.0.0.1:{closed_port}{HOOK_PATH}")
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}"]) == 0
    out = capsys.readouterr()
    assert "notification FAILED: slack ${LAUNCH_HOOK}" in out.err and "connection refused" in out.err
    (record,) = read_document(results)["notifications"]
    assert record["status"] == "failed" and record["error"] == "connection refused"
    assert_no_secret(out.out, out.err, results.read_text())


def test_a_server_answering_500_is_recorded_with_its_status(results, webhook, capsys):
    webhook.answer = 500
    assert main(["notify", str(results), "--to", "teams:${LAUNCH_HOOK}"]) == 0
    assert len(webhook.requests) == 1  # a 500 is not retried (the message may have been posted)
    (record,) = read_document(results)["notifications"]
    assert record["status"] == "failed" and record["http_status"] == 500
    assert record["error"] == "HTTP 500: internal trouble"
    out = capsys.readouterr()
    assert "HTTP 500" in out.err
    assert_no_secret(out.out, out.err, results.read_text())


def test_a_503_is_retried_twice(results, webhook):
    webhook.answer = 503
    assert main(["notify", str(results), "--to", "${LAUNCH_HOOK}"]) == 0
    assert len(webhook.requests) == 3
    assert read_document(results)["notifications"][0]["http_status"] == 503


def test_a_server_that_never_answers_costs_the_timeout(results, webhook, capsys):
    import time

    webhook.hold.set()
    started = time.monotonic()
    assert main(["notify", str(results), "--to", "slack:${LAUNCH_HOOK}", "--timeout", "0.5"]) == 0
    assert time.monotonic() - started < 5
    (record,) = read_document(results)["notifications"]
    assert record["status"] == "failed" and "no answer within 0.5 s" in record["error"]
    assert len(webhook.requests) == 1  # a read that timed out is not retried


# ------------------------------------------------------------------------------- bad input

def test_bad_targets_are_one_line_errors_that_show_no_url(results, capsys, monkeypatch):
    monkeypatch.setenv("LAUNCH_NOT_A_URL", "T0LAUNCH-xoxSecretHookToken42")
    monkeypatch.delenv("LAUNCH_UNSET_HOOK", raising=False)
    cases = [("${LAUNCH_UNSET_HOOK}", "LAUNCH_UNSET_HOOK to be set"),
             ("${LAUNCH_NOT_A_URL}", "${LAUNCH_NOT_A_URL} holding something else"),
             ("irc:${LAUNCH_NOT_A_URL}", "a webhook URL"),
             ("ftp://example.com" + HOOK_PATH, "a webhook URL")]
    for target, expected in cases:
        assert main(["notify", str(results), "--to", target]) == 2
        err = capsys.readouterr().err
        assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert_no_secret(err)


# ------------------------------------------------------------------------------- the plugin

CHECKS = """
import pytest

@pytest.mark.t_minus_7
@pytest.mark.checklist("SEC-01")
def test_tls():
    assert False, "certificate expires in 3 days"
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_launch_notify_sends_once_per_change_and_records_it(pytester, webhook, monkeypatch, workers):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, CHECKS)
    args = ["-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", "--launch-gate", "--launch-json=out.json",
            "--launch-notify=slack:${LAUNCH_HOOK}", "--launch-report-url=https://reports.example/prod", *workers]
    first = pytester.runpytest_subprocess(*args)
    assert first.ret == 1  # NO_GO under the gate
    assert len(webhook.requests) == 1
    payload = webhook.requests[0]["json"]
    assert "NO-GO" in payload["blocks"][0]["text"]["text"]
    assert "sre: sign off MON-06" in json.dumps(payload) or "MON-06" in json.dumps(payload)
    assert payload["blocks"][-1]["elements"][0]["url"] == "https://reports.example/prod/t_minus_7/go-no-go.html"
    out = first.stdout.str()
    assert "notification sent: slack ${LAUNCH_HOOK}" in out
    doc = json.loads((pytester.path / "out.json").read_text())
    assert doc["notifications"][0]["status"] == "sent"
    second = pytester.runpytest_subprocess(*args)  # the same verdict: not sent again
    assert second.ret == 1 and len(webhook.requests) == 1
    assert "notification not sent" in second.stdout.str()
    texts = [first.stdout.str(), first.stderr.str(), second.stdout.str(), second.stderr.str()]
    texts += [p.read_text() for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    texts.append((pytester.path / "out.json").read_text())
    assert_no_secret(*texts)


def test_a_failed_notification_changes_neither_verdict_nor_exit_code(pytester, webhook, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    webhook.answer = 500
    make_project(pytester, CHECKS)
    args = ["-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7", "--launch-gate", "--launch-json=out.json"]
    plain = pytester.runpytest_subprocess(*args)
    notified = pytester.runpytest_subprocess(*args, "--launch-notify=${LAUNCH_HOOK}", "--launch-notify-on=always",
                                             "--junitxml=junit.xml")
    assert notified.ret == plain.ret == 1
    doc = json.loads((pytester.path / "out.json").read_text())
    assert doc["verdict"] == "NO_GO" and doc["notifications"][0]["error"] == "HTTP 500: internal trouble"
    assert "notification FAILED: webhook ${LAUNCH_HOOK}" in notified.stdout.str()
    assert_no_secret(notified.stdout.str(), notified.stderr.str(), (pytester.path / "junit.xml").read_text(),
                     (pytester.path / "out.json").read_text())


def test_environment_file_targets_and_a_literal_url_are_masked_too(pytester, webhook, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    make_project(pytester, CHECKS, env=PROD + '\n[reports]\nnotify = ["teams:${LAUNCH_HOOK}"]\nnotify_on = "always"\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7",
                                           f"--launch-notify=webhook:{webhook.url}")  # expanded by the shell
    assert len(webhook.requests) == 2
    assert {r["json"].get("type", "generic") for r in webhook.requests} == {"message", "generic"}
    out = result.stdout.str()
    assert out.count("notification sent:") == 2 and "teams http://127.0.0.1:" in out
    texts = [out, result.stderr.str()] + [p.read_text() for p in (pytester.path / "reports").rglob("*") if p.is_file()]
    assert_no_secret(*texts)


def test_a_target_whose_variable_is_not_set_is_a_usage_error(pytester, monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.delenv("LAUNCH_UNSET_HOOK", raising=False)
    make_project(pytester, CHECKS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", "-m", "t_minus_7",
                                           "--launch-notify=slack:${LAUNCH_UNSET_HOOK}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "LAUNCH_UNSET_HOOK to be set" in result.stderr.str() and "Traceback" not in result.stderr.str()


def test_outside_text_cannot_mention_or_link_in_slack_or_teams():
    from pytest_launch.outputs.notify_payloads import payload

    hostile = "<!channel> <https://evil.example|click here> [open](https://evil.example) *bold*"
    doc = sample_document(200, payload=hostile)
    doc["reasons"][0]["text"] = hostile
    slack = json.dumps(payload("slack", doc))
    assert "<!channel>" not in slack and "<https://evil" not in slack and "&lt;!channel&gt;" in slack
    teams = json.dumps(payload("teams", doc))
    assert "[open](https://evil" not in teams and "\\\\[open\\\\]\\\\(https://evil" in teams


def test_a_target_url_is_masked_without_masking_ordinary_words():
    from pytest_launch.config.reports import parse_target, target_secrets
    from pytest_launch.core.redact import Redactor

    url = "https://hooks.slack.com/services/T0LAUNCH/B0NOTIFY/xoxSecretHookToken42"
    redactor = Redactor(target_secrets([parse_target("slack:" + url, "test")]))
    assert "xoxSecretHookToken42" not in redactor.text(f"posting to {url} failed")
    assert "T0LAUNCH" not in redactor.text("team T0LAUNCH") and "hooks.slack.com" in redactor.text(url)
    assert redactor.text("test_services_up checks the services") == "test_services_up checks the services"
    teams = ("https://prod-12.westus.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/"
             "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbCdEfGhIjKlMnOpQrStUv")
    redactor = Redactor(target_secrets([parse_target(teams, "test")]))
    masked = redactor.text(f"POST {teams}")
    assert "0123456789abcdef" not in masked and "AbCdEfGhIjKlMnOpQrStUv" not in masked
    assert redactor.text("triggers and workflows") == "triggers and workflows"


def test_a_partial_run_is_never_announced(tmp_path, webhook, capsys):
    doc = sample_document(40)
    doc["run"]["partial"] = ["-k tls"]
    results = write(tmp_path / "go-no-go.json", doc)
    assert main(["notify", str(results), "--to", "${LAUNCH_HOOK}", "--on", "always"]) == 0
    assert webhook.requests == []
    assert "a partial run is not a launch decision" in capsys.readouterr().out
