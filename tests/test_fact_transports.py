"""A check's facts reach the decision by two routes (plugin/facts.py): read from the check
itself in a plain run, carried on its reports from an xdist worker. Whatever the route, every
check gets the same result: outcome, message, evidence, metadata, blocking, and the same
verdict and reasons. One suite holds every kind of fact and outcome; it runs plain and with
-n 2, and the two documents must agree check by check, with nothing of the environment's
secret in either."""

from __future__ import annotations

import json

import pytest

from launch_project import CHECKLIST, MON06_SIGNED, PROD, TODAY, make_project, read_report

SECRET = "s3cr3t-Transport-Value-9153"
ENV = PROD + '\n[custom]\ntoken = "${LAUNCH_TRANSPORT_TOKEN}"\n'

CHECKS = {
    "test_facts.py": """
        import pytest
        from pytest_launch.probes.errors import ProbeError

        @pytest.mark.checklist("SEC-01")
        def test_linked(launch_evidence):
            launch_evidence.record(days_left=40, threshold=30)

        @pytest.mark.t_minus_7
        @pytest.mark.security
        @pytest.mark.critical
        @pytest.mark.owner("ops")
        def test_fails_with_secret_evidence(launch_env, launch_evidence):
            token = launch_env["custom"]["token"]
            launch_evidence.record(measured=2, header=f"Bearer {token}", nested={"token": [token, 1]})
            assert False, f"token {token} rejected; https://ops:pw-4321@db.example/ refused"

        @pytest.mark.t_minus_7
        @pytest.mark.minor
        def test_skips():
            pytest.skip("no staging bucket")

        @pytest.mark.t_minus_7
        @pytest.mark.minor
        def test_skips_at_length():
            pytest.skip("z" * 10_000)

        @pytest.mark.t_minus_7
        @pytest.mark.blocker
        @pytest.mark.rollback_trigger
        def test_probe_without_answer():
            raise ProbeError("https://127.0.0.1:9/catalog", "connection refused")

        @pytest.mark.t_minus_7
        @pytest.mark.blocker
        @pytest.mark.destructive
        def test_destructive():
            pass

        @pytest.fixture
        def broken():
            raise RuntimeError("setup broke")

        @pytest.mark.t_minus_7
        @pytest.mark.normal
        def test_setup_error(broken):
            pass

        @pytest.fixture
        def breaks_at_teardown():
            yield
            raise RuntimeError("teardown broke")

        @pytest.mark.t_minus_7
        @pytest.mark.normal
        def test_teardown_error(breaks_at_teardown, launch_evidence):
            launch_evidence.record(late=1)

        @pytest.mark.t_minus_7
        @pytest.mark.normal
        @pytest.mark.xfail(reason="known")
        def test_expected_failure():
            assert False

        @pytest.mark.t_minus_7
        @pytest.mark.minor
        def test_passes_with_secret_in_evidence(launch_env, launch_evidence):
            launch_evidence.record(seen=launch_env["custom"]["token"])
    """,
}

COMPARED = ("outcome", "message", "evidence", "kind", "title", "phase", "category", "severity",
            "severity_defaulted", "owner", "checklist", "rollback_trigger", "destructive", "blocking",
            "waiver", "source")


@pytest.fixture(autouse=True)
def env(monkeypatch):
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)
    monkeypatch.setenv("LAUNCH_TRANSPORT_TOKEN", SECRET)


def decide(pytester: pytest.Pytester, *workers: str) -> tuple[dict, str]:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--env=prod", *workers)
    assert result.ret == 1, result.stdout.str()[-3000:]
    report = pytester.path / "reports"
    doc = read_report(pytester)
    written = "\n".join(p.read_text("utf-8") for p in sorted(report.rglob("*")) if p.is_file())
    return doc, written + result.stdout.str() + result.stderr.str()


def by_nodeid(doc: dict) -> dict[str, dict]:
    return {c["nodeid"]: {key: c.get(key) for key in COMPARED} for c in doc["checks"]}


def test_a_check_gets_the_same_result_from_its_item_and_from_its_reports(pytester):
    make_project(pytester, CHECKS, checklist=CHECKLIST, signoffs=MON06_SIGNED, env=ENV)
    plain, plain_text = decide(pytester)
    distributed, distributed_text = decide(pytester, "-n", "2")

    assert by_nodeid(plain) == by_nodeid(distributed)
    assert plain["verdict"] == distributed["verdict"] == "NO_GO"
    assert [r["text"] for r in plain["reasons"]] == [r["text"] for r in distributed["reasons"]]
    for text in (plain_text, distributed_text):
        assert SECRET not in text and "pw-4321" not in text

    checks = by_nodeid(plain)
    result = {nodeid.rsplit("::", 1)[-1]: check for nodeid, check in checks.items()}
    # every kind of fact arrived, by either route
    assert result["test_linked"]["evidence"] == {"days_left": 40, "threshold": 30}
    assert result["test_linked"]["severity"] == "blocker" and result["test_linked"]["owner"] == "security-team"
    assert result["test_fails_with_secret_evidence"]["outcome"] == "failed"
    assert result["test_fails_with_secret_evidence"]["evidence"]["measured"] == 2
    assert "***" in json.dumps(result["test_fails_with_secret_evidence"]["evidence"])
    assert "rejected" in result["test_fails_with_secret_evidence"]["message"]
    assert result["test_fails_with_secret_evidence"]["owner"] == "ops"
    assert result["test_skips"]["outcome"] == "skipped" and result["test_skips"]["message"] == "no staging bucket"
    assert len(result["test_skips_at_length"]["message"]) < 5_000  # truncated, whatever the route
    assert result["test_skips_at_length"]["message"].endswith("more characters]")
    assert result["test_probe_without_answer"]["outcome"] == "error"  # inconclusive: no evidence either way
    assert result["test_probe_without_answer"]["rollback_trigger"] is True
    assert result["test_destructive"]["outcome"] == "refused" and result["test_destructive"]["destructive"] is True
    assert result["test_setup_error"]["outcome"] == "error" and "setup broke" in result["test_setup_error"]["message"]
    assert result["test_teardown_error"]["outcome"] == "error"
    assert "teardown" in result["test_teardown_error"]["message"]
    assert result["test_teardown_error"]["evidence"] == {"late": 1}
    assert result["test_expected_failure"]["outcome"] == "skipped"  # an expected failure proves nothing
    assert result["test_passes_with_secret_in_evidence"]["evidence"] == {"seen": "***"}
    assert result["MON-06"]["kind"] == "manual" and result["MON-06"]["outcome"] == "passed"
    assert result["MON-06"]["evidence"]["signed_by"] == "jane.doe"
    assert result["PERF-02"]["kind"] == "uncovered" and result["PERF-02"]["outcome"] == "failed"
