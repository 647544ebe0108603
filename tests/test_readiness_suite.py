"""The readiness suite (readiness/) run for real against the embedded demo: every check passes
against the healthy demo (except the one waived risk), and fails against a demo started with
faults, each failure naming what is wrong. Plus: `--collect-only -m t_minus_7` lists every T-7
item, and every automated T-7 item has a check.

Each run is a pytest subprocess (the demo's moto state is process-global): about 15 s each.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from readiness_runs import READINESS, ROOT, checklist_items, run_suite

CHECK_FILES = ["test_infrastructure.py", "test_security.py", "test_application.py", "test_data.py",
               "test_monitoring.py", "test_post_launch.py"]

# faults of the demo -> (the check that must fail, words its message must hold)
FAULT_EXPECTATIONS: dict[str, tuple[str, str]] = {
    "no_hsts": ("test_security.py::test_hsts_max_age", "no Strict-Transport-Security header"),
    "no_security_headers": ("test_security.py::test_security_headers", "no Content-Security-Policy"),
    "server_version_leak": ("test_security.py::test_no_server_version_leak", "discloses a version"),
    "insecure_cookie": ("test_security.py::test_cookies_secure", "lacks Secure, HttpOnly, SameSite"),
    "no_rate_limit": ("test_security.py::test_api_rate_limiting", "not one 429"),
    "admin_open": ("test_security.py::test_admin_endpoints_require_authentication", "without credentials"),
    "no_waf": ("test_security.py::test_waf_blocks_attack_signatures", "let attack signatures through"),
    "public_bucket": ("test_security.py::test_buckets_private_and_encrypted", "public access is not fully blocked"),
    "expired_certificate": ("test_infrastructure.py::test_tls_certificates_valid", "at least 30 required"),
    "dns_serial_mismatch": ("test_infrastructure.py::test_dns_soa_serials_agree", "disagree on the SOA serial"),
    "no_caa": ("test_infrastructure.py::test_dns_caa_names_our_ca", "no CAA record"),
    "node_not_ready": ("test_infrastructure.py::test_kubernetes_clusters_ready", "is not Ready"),
    "backend_down": ("test_infrastructure.py::test_load_balancer_backends_healthy", "answered 503"),
    "bad_backup_checksum": ("test_data.py::test_backup_fresh_and_checksum_verified", "does not match the recorded"),
    "no_versioning": ("test_data.py::test_backup_retention_policy", "versioning is not enabled"),
    "no_lifecycle": ("test_infrastructure.py::test_backup_system_configured", "no enabled lifecycle"),
    "corrupt_catalog": ("test_data.py::test_catalog_integrity", "integrity problem"),
    "search_index_missing": ("test_data.py::test_search_index_built", "not among the results"),
    "provider_down": ("test_application.py::test_payment_provider_healthy", "answered 503"),
    "health_down": ("test_application.py::test_health_endpoint", "expected 200"),
    "hpa_missing": ("test_infrastructure.py::test_autoscaling_policies",
                    "no HorizontalPodAutoscaler catalog/catalog-worker"),
    "flags_down": ("test_application.py::test_feature_flag_service", "/sandbox/flags/health answered 503"),
    "analytics_down": ("test_application.py::test_analytics_configured", "/sandbox/analytics/health answered 503"),
    "push_down": ("test_application.py::test_push_provider_healthy", "/sandbox/push/health answered 503"),
    "email_unreachable": ("test_application.py::test_email_provider_healthy", "connection refused"),
    "error_tracking_unreachable": ("test_application.py::test_error_tracking_configured", "connection refused"),
    # one instance behind the balancer still on the previous release: DAY-03 asks every backend
    "stale_instance": ("test_application.py::test_deployed_version", "version '1.3.9' is deployed, '1.4.0' expected"),
    # plain HTTP redirects to HTTPS, but on a parked domain: SEC-10 names the other host
    "redirect_elsewhere": ("test_security.py::test_plain_http_redirects_to_https",
                           "redirects to another host 'parked.launch.test'"),
}

# faults that break the same thing differently (the one on-call receiver, the one newest backup):
# each runs alone, against only its check: (fault, check, words its message must hold)
EXCLUSIVE_FAULT_EXPECTATIONS: list[tuple[str, str, str]] = [
    ("alert_receiver_down", "test_monitoring.py::test_synthetic_alert_delivered",
     "receiver 'catalog-oncall' was not notified (routed, but not delivered)"),
    ("alert_receiver_500", "test_monitoring.py::test_synthetic_alert_delivered",
     "webhook: 1 of 1 notification request(s) failed"),
    ("alert_routed_elsewhere", "test_monitoring.py::test_synthetic_alert_delivered",
     "routed to catalog-team-chat, expected 'catalog-oncall'"),
    ("backup_truncated_gzip", "test_data.py::test_backup_restore_round_trip",
     "unrestorable: truncated gzip: unexpected end of stream after"),
    ("bad_backup_checksum", "test_data.py::test_backup_restore_round_trip",
     "does not match the recorded"),
    ("backup_schema_violation", "test_data.py::test_backup_restore_round_trip",
     "schema: /books/17/isbn: 9780140449129 is not of type 'string'"),
    # a 200 that is not fine: the maintenance page as the home page, a backend whose health says DOWN
    ("maintenance_page", "test_application.py::test_maintenance_mode_removed",
     "the site answers its maintenance page: / (title 'Down for maintenance' holds the marker 'maintenance'"),
    ("backend_reports_down", "test_infrastructure.py::test_load_balancer_backends_healthy",
     "answered 200 but its health says 'DOWN' (status): not healthy"),
    # the DSN names a host that answers (the app) but is no Sentry ingest: errors sent there are lost
    ("error_tracking_not_sentry", "test_application.py::test_error_tracking_configured",
     "is not a live Sentry ingest: /api/relay/healthcheck/live/ answered 404"),
]


def _checks(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["nodeid"].split("readiness/", 1)[-1]: c for c in document["checks"] if c.get("kind", "check") == "check"}


def test_suite_passes_against_the_healthy_demo(pytester: pytest.Pytester) -> None:
    files = [str(READINESS / name) for name in CHECK_FILES]
    _, document = run_suite(pytester, *files, "--env=demo", "-n", "2", "-m", "t_minus_7")
    checks = _checks(document)
    assert len(checks) >= 30
    failed = {k: c["message"] for k, c in checks.items() if c["outcome"] not in ("passed", "skipped")}
    # the demo's one known risk: a never-rotated secret, failed and waived (readiness/waivers.toml)
    assert set(failed) == {"test_security.py::test_secrets_rotated"}, failed
    assert checks["test_security.py::test_secrets_rotated"]["waiver"]
    skipped = {k: c["message"] for k, c in checks.items() if c["outcome"] == "skipped"}
    # what the demo does not run is "not configured", never a pass
    assert all("not configured" in message for message in skipped.values()), skipped
    assert {"test_infrastructure.py::test_cdn_configuration", "test_monitoring.py::test_grafana_dashboards",
            "test_infrastructure.py::test_database_replication"} <= set(skipped)
    # evidence: measured values travel to the report
    hsts = checks["test_security.py::test_hsts_max_age"]["evidence"]
    assert hsts["max_age_s"] == 31536000 and hsts["required_s"] == 180 * 86400
    # no secret of the demo (kube token, DSN key) in the report
    text = json.dumps(document)
    assert "Bearer " not in text
    assert document["environment"]["name"] == "demo"


def test_suite_decides_without_xdist(pytester: pytest.Pytester) -> None:
    # `pytest -p no:xdist readiness -m t_minus_7 --env=demo`: xdist's hooks are unknown to pytest
    # then, and the run ended in INTERNALERROR (unknown hook 'pytest_testnodedown') before deciding
    result, document = run_suite(pytester, "-p", "no:xdist", str(READINESS), "-m", "t_minus_7", "--env=demo")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output, output[-3000:]
    assert document["run"]["complete"] is True
    assert document["summary"]["total"] == len(document["checks"]) >= 30
    # decided: the phase's manual items have no sign-off in the demo, so NO_GO, on the terminal too
    assert document["verdict"] == "NO_GO"
    assert any(r["code"] == "unsigned" for r in document["reasons"]), document["reasons"]
    assert "launch decision (demo, t_minus_7): NO_GO" in output
    # no machine-local path: the demo's generated layer lives in a temporary folder, but reasons
    # and the report name the file the user wrote, relative to the repository root (issue 15.3)
    temp = tempfile.gettempdir()

    def temporary(text: str) -> bool:  # the repository itself may be a clone in the temporary folder (CI's may be)
        return temp in text.replace(str(ROOT), "<repository>")

    args = document["run"].pop("args")
    assert document["scope"]["selection"].pop("args") == args
    assert all(not temporary(arg) or str(pytester.path) in arg for arg in args), args  # ours, as typed
    assert not temporary(json.dumps(document, ensure_ascii=False)), [
        r["text"] for r in document["reasons"] if temporary(r["text"])]
    assert str(ROOT) not in json.dumps([document["reasons"], document["environment"]])
    assert document["environment"]["source"] == "readiness/environments/demo.toml"
    not_configured = [r["text"] for r in document["reasons"] if "not configured" in r["text"]]
    assert len(not_configured) >= 3
    assert all("] in readiness/environments/demo.toml" in text and "fill in [" in text
               for text in not_configured), not_configured
    pages = list((pytester.path / "reports").rglob("go-no-go.*"))
    assert pages and not [p for p in pages if "launch-demo-" in p.read_text(encoding="utf-8")]


def test_suite_fails_against_a_broken_demo(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_LAUNCH_DEMO_FAULTS", ",".join(FAULT_EXPECTATIONS))
    files = [str(READINESS / name) for name in CHECK_FILES]
    result, document = run_suite(pytester, *files, "--env=demo", "-n", "2")
    checks = _checks(document)
    problems = []
    for fault, (check, words) in FAULT_EXPECTATIONS.items():
        found = checks.get(check)
        if found is None:
            problems.append(f"{fault}: {check} did not run")
        elif found["outcome"] not in ("failed", "error"):
            problems.append(f"{fault}: {check} was {found['outcome']}, expected a failure")
        elif words not in found["message"]:
            problems.append(f"{fault}: {check} failed without {words!r}: {found['message'][:300]}")
    assert not problems, "\n".join(problems)
    assert document["verdict"] == "NO_GO"


@pytest.mark.parametrize("fault, check, words", EXCLUSIVE_FAULT_EXPECTATIONS,
                         ids=[f"{fault}-{check.split('::')[0]}" for fault, check, _ in EXCLUSIVE_FAULT_EXPECTATIONS])
def test_each_exclusive_fault_fails_its_own_check(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                  fault: str, check: str, words: str) -> None:
    monkeypatch.setenv("PYTEST_LAUNCH_DEMO_FAULTS", f"{fault},no_prometheus")  # Prometheus is not needed here
    path, name = check.split("::")
    _, document = run_suite(pytester, str(READINESS / path), "-k", name, "--env=demo")
    found = _checks(document)[check]
    assert found["outcome"] == "failed", found
    assert words in found["message"], found["message"]
    assert document["verdict"] == "NO_GO"


def test_collect_only_lists_every_t_minus_7_item(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        str(READINESS), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider",
        "--collect-only", "-q", "-m", "t_minus_7", "--env=demo", timeout=120)
    output = result.stdout.str()
    items = checklist_items()
    t7 = [i for i in items if i["phase"] == "t_minus_7"]
    missing = [i["id"] for i in t7 if i["mode"] == "manual" and f"readiness/checklist.toml::{i['id']}" not in output]
    assert not missing, f"manual T-7 items not listed: {missing}\n{output[-2000:]}"
    assert "readiness/test_security.py::test_hsts_max_age" in output
    assert "test_success_criteria" not in output  # T+1 checks are deselected by -m t_minus_7


def test_every_automated_t_minus_7_item_has_a_check() -> None:
    linked = set()
    for path in READINESS.glob("test_*.py"):
        linked |= set(re.findall(r'checklist\("([A-Z]+-\d+)"\)', path.read_text()))
    items = checklist_items()
    uncovered = [i["id"] for i in items if i["mode"] == "automated" and i["phase"] == "t_minus_7" and i["id"] not in linked]
    assert not uncovered, f"automated T-7 items without a check: {uncovered}"


def test_checklist_covers_every_seed_item() -> None:
    """Every line of the seed checklist's sections has an item whose reference names its section."""
    items = checklist_items()
    by_section: dict[str, int] = {}
    for item in items:
        for reference in item["references"]:
            by_section[reference] = by_section.get(reference, 0) + 1
    seed = "seed: launch-checklist.md / "
    expected_counts = {
        "Pre-Launch Validation / Infrastructure": 8, "Pre-Launch Validation / Security": 8,
        "Pre-Launch Validation / Application": 8, "Pre-Launch Validation / Monitoring": 8,
        "Pre-Launch Validation / Data": 7, "Launch Day / Morning (6 hours before launch)": 6,
        "Launch Day / Pre-Launch (2 hours before)": 6, "Launch Day / Launch (T-0)": 7,
        "Launch Day / Post-Launch (2 hours after)": 6, "Post-Launch Validation / Performance": 7,
        "Post-Launch Validation / Business Metrics": 6, "Post-Launch Validation / Operational": 6,
        "Rollback Procedures / Immediate Rollback Triggers": 5, "Success Criteria": 8,
    }
    short = {section: by_section.get(seed + section, 0) for section in expected_counts
             if by_section.get(seed + section, 0) < expected_counts[section]}
    assert not short, short
    manual_without_evidence = [i["id"] for i in items if i["mode"] == "manual" and "link" not in i["description"]]
    assert not manual_without_evidence


@pytest.mark.parametrize("name", ["prod.example", "staging.example"])
def test_example_environments_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from launch_project import load_suite_environment as load_environment

    path = READINESS / "environments" / f"{name}.toml"
    for variable in set(re.findall(r"\$\{([A-Z0-9_]+)\}", path.read_text())):
        monkeypatch.setenv(variable, f"secret-{variable.lower()}")
    env = load_environment(path)
    assert env.production is (name == "prod.example")
    assert {"http", "tls", "dns", "backups", "prometheus", "success", "kubernetes"} <= set(env)
    assert "secret-kube_token_eu_west_1" in env.secrets  # tokens only through ${VAR}


def test_example_environment_names_its_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from launch_project import load_suite_environment as load_environment
    from pytest_launch.core.errors import ConfigError

    for variable in ("SENTRY_DSN", "KUBE_TOKEN_EU_WEST_1", "CATALOG_PRIMARY_DSN", "GRAFANA_TOKEN", "PROM_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigError, match="SENTRY_DSN"):
        load_environment(READINESS / "environments" / "prod.example.toml")


# --------------------------------------------------------------------------- Grafana (MON-02)
# No Grafana can run here (not packaged in Debian): a local server replays recorded answers of
# Grafana's HTTP API (/api/health, /api/search), and the check runs against it for real.

def _grafana_app(token: str, dashboards: list[str]) -> Any:
    from werkzeug.wrappers import Request, Response

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.headers.get("Authorization") != f"Bearer {token}":
            response = Response(json.dumps({"message": "Unauthorized"}), status=401, mimetype="application/json")
        elif request.path == "/api/health":
            response = Response(json.dumps({"commit": "abc123", "database": "ok", "version": "10.4.2"}),
                                mimetype="application/json")
        elif request.path == "/api/search":
            response = Response(json.dumps([{"uid": uid, "title": uid.title(), "type": "dash-db"} for uid in dashboards]),
                                mimetype="application/json")
        else:
            response = Response("{}", status=404, mimetype="application/json")
        return response(environ, start_response)

    return app


@pytest.mark.parametrize("served, passes", [(["catalog-overview", "catalog-slo"], True), (["catalog-overview"], False)])
def test_grafana_check_against_replayed_api(served: list[str], passes: bool, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from launch_project import load_suite_environment as load_environment
    from pytest_launch.core.evidence import Evidence
    from pytest_launch.demo.servers import DemoWSGIServer

    server = DemoWSGIServer(_grafana_app("grafana-secret-token", served)).start()
    try:
        env_file = tmp_path / "env.toml"
        env_file.write_text(f'[grafana]\nurl = "http://127.0.0.1:{server.server_port}"\ntoken = "${{GRAFANA_TOKEN}}"\n'
                            'dashboards = ["catalog-overview", "catalog-slo"]\ntimeout = 5\n')
        monkeypatch.setenv("GRAFANA_TOKEN", "grafana-secret-token")
        env = load_environment(env_file)
        spec = importlib.util.spec_from_file_location("readiness_monitoring", READINESS / "test_monitoring.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        evidence = Evidence()
        if passes:
            module.test_grafana_dashboards(env, evidence)
            assert evidence["dashboards_found"] == 2
        else:
            with pytest.raises(AssertionError, match=r"dashboards missing \(by uid\): \['catalog-slo'\]"):
                module.test_grafana_dashboards(env, evidence)
        monkeypatch.setenv("GRAFANA_TOKEN", "a-wrong-token")
        with pytest.raises(Exception, match="HTTP 401") as failure:
            module.test_grafana_dashboards(load_environment(env_file), Evidence())
        assert "a-wrong-token" not in str(failure.value)
    finally:
        server.stop()
