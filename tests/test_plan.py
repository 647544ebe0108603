"""`launch plan` and `pytest --launch-plan`: the checklist against the checks, without running them.

Real pytest runs (pytester subprocesses, and the `launch` CLI as a subprocess) against a small
launch project (tests/launch_project.py) and against the real readiness suite with the demo
environment file. The no-network test points every table at a loopback server that counts the
connections it receives (and some at an unroutable address): the plan must finish with none.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from launch_project import TODAY, make_project

REPO = Path(__file__).resolve().parent.parent
DEMO_TOML = REPO / "readiness" / "environments" / "demo.toml"
UNROUTABLE = "10.255.255.1"  # RFC 1918, routed nowhere here: a connection attempt would hang

ENV_HTTP = """
[environment]
name = "prod"
production = true

[http]
base_url = "https://shop.example.test"
"""

SIGNED = """
[[signoff]]
item = "MON-06"
by = "jane.sre"
at = 2026-11-20
evidence = "https://wiki.example.test/oncall"
environments = ["prod"]
"""

# SEC-01 linked to a check using [http]; PERF-02 linked too; MON-06 signed: a plan without gaps
COVERED = """
import pytest

@pytest.fixture
def side_effect(tmp_path_factory):
    open("FIXTURE_RAN", "w").close()

@pytest.mark.checklist("SEC-01")
def test_tls(launch_http, side_effect):
    open("CHECK_RAN", "w").close()

@pytest.mark.checklist("PERF-02")
def test_cache():
    open("CHECK_RAN", "w").close()
"""


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAUNCH_TODAY", TODAY)


def plan_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--launch-plan", "-p", "no:cacheprovider", *args)


def launch_cli(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.run(sys.executable, "-m", "pytest_launch.cli", "plan", *args)


def gap_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()
            if line.strip().startswith(("uncovered:", "missing table:", "undeclared tables:", "unsigned:"))]


# ---------------------------------------------------------------------------------- the rows

def test_plan_lists_every_in_scope_item_runs_nothing_and_exits_0_without_gaps(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP, signoffs=SIGNED)
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    out = result.stdout.str()
    assert result.ret == 0, out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in ("SEC-01", "PERF-02", "MON-06", "T0-12")}
    assert rows["SEC-01"][1:] == ["t_minus_7", "security", "blocker", "security-team", "automated", "READY"]
    assert rows["PERF-02"][1:] == ["t_minus_7", "performance", "normal", "perf-team", "automated", "READY"]
    assert rows["MON-06"][1:] == ["t_minus_7", "monitoring", "critical", "sre", "manual", "READY"]
    assert "T0-12" not in rows  # phase t_0: outside -m t_minus_7
    assert "check test_checks.py::test_tls: [http] configured" in out
    assert "check test_checks.py::test_cache: no table needed" in out
    assert "sign-off by jane.sre, no expiry, environments prod: VALID here" in out
    assert "launch plan (prod, t_minus_7): 3 items, no gaps: exit 0" in out
    # nothing ran: no check body, no fixture, no report
    assert not (pytester.path / "CHECK_RAN").exists()
    assert not (pytester.path / "FIXTURE_RAN").exists()
    assert not (pytester.path / "reports").exists()


def test_scope_follows_minus_m_as_a_real_run_reads_it(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP, signoffs=SIGNED)
    both = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7 or t_0").stdout.str()
    assert "scope: t_minus_7, t_0 (-m t_minus_7 or t_0)" in both
    assert "uncovered: T0-12 (sre): automated item with no check links to it" in both
    launch_day = plan_run(pytester, "--launch-env=prod", "-m", "t_0").stdout.str()
    assert "T0-12" in launch_day and "SEC-01" not in launch_day
    narrowed = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7 and security").stdout.str()
    assert "note: partial selection (-m t_minus_7 and security selects only part of t_minus_7)" in narrowed
    assert "a real run with it is a partial run, NO_GO" in narrowed


# ---------------------------------------------------------------------------- each gap kind

@pytest.mark.parametrize(("checks", "env", "signoffs", "expected"), [
    pytest.param(COVERED.replace('@pytest.mark.checklist("PERF-02")\n', ""), ENV_HTTP, SIGNED,
                 "uncovered: PERF-02 (perf-team): automated item with no check links to it: add "
                 "@pytest.mark.checklist('PERF-02') to a check, or make it manual", id="uncovered"),
    pytest.param(COVERED, "[environment]\nname = \"prod\"\n", SIGNED,
                 "missing table: SEC-01 (security-team): test_checks.py::test_tls needs [http], not configured in ",
                 id="missing-table"),
    pytest.param(COVERED.replace("def test_cache():", "def test_cache(launch_env):"), ENV_HTTP, SIGNED,
                 "undeclared tables: PERF-02 (perf-team): test_checks.py::test_cache reads the environment through "
                 "launch_env without declaring its tables", id="undeclared"),
    pytest.param(COVERED, ENV_HTTP, None,
                 "unsigned: MON-06 (sre): manual item without a valid sign-off for prod on 2026-11-25: "
                 "add a [[signoff]] for MON-06", id="unsigned"),
])
def test_each_gap_kind_exits_1_with_one_line(pytester: pytest.Pytester, checks: str, env: str,
                                             signoffs: str | None, expected: str) -> None:
    make_project(pytester, checks, env=env, signoffs=signoffs)
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    out = result.stdout.str()
    assert result.ret == 1, out
    (line,) = gap_lines(out)
    assert line.startswith(expected), line
    assert "gaps (1):" in out and ": 1 gap (" in out


def test_a_declared_table_counts_and_a_missing_one_is_named(pytester: pytest.Pytester) -> None:
    checks = """
        import pytest

        @pytest.mark.env_tables("security", "catalog|cdn")
        @pytest.mark.checklist("SEC-01")
        def test_headers(launch_env, launch_http):
            pass

        @pytest.mark.env_tables()
        @pytest.mark.checklist("PERF-02")
        def test_reads_only_the_name(launch_env):
            pass
    """
    env = ENV_HTTP + '\n[security]\nheader_paths = ["/"]\n\n[cdn]\nurls = ["https://cdn.example.test/a.css"]\n'
    make_project(pytester, checks, env=env, signoffs=SIGNED)
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    out = result.stdout.str()
    assert "check test_checks.py::test_headers: [catalog or cdn] configured; [http] configured; [security] configured" \
        in out
    assert "check test_checks.py::test_reads_only_the_name: no table needed" in out
    assert result.ret == 0, out
    # without [security]: named as missing, exit 1
    (pytester.path / "readiness/environments/prod.toml").write_text(ENV_HTTP, "utf-8")
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    assert result.ret == 1
    assert gap_lines(result.stdout.str()) == [
        "missing table: SEC-01 (security-team): test_checks.py::test_headers needs [catalog or cdn], [security], not "
        "configured in readiness/environments/prod.toml"]


def test_a_fixture_of_the_suite_that_reads_the_environment_must_be_declared(pytester: pytest.Pytester) -> None:
    checks = {"conftest.py": """
        import pytest

        @pytest.fixture
        def database(launch_env):
            return launch_env.table("custom")
    """, "test_checks.py": COVERED.replace("def test_cache():", "def test_cache(database):")}
    make_project(pytester, checks, env=ENV_HTTP, signoffs=SIGNED)
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    assert result.ret == 1
    assert "test_checks.py::test_cache reads the environment through database without declaring" in result.stdout.str()


# ------------------------------------------------------------------------------ approvals

APPROVALS_CHECKS = """
import pytest

@pytest.mark.checklist("SEC-01")
def test_tls(launch_http):
    pass

@pytest.mark.checklist("PERF-02")
def test_cache():
    pass
"""


def test_expired_waiver_and_a_signoff_for_another_environment_are_shown_and_do_not_count(
        pytester: pytest.Pytester) -> None:
    waivers = """
        [[waiver]]
        check = "SEC-01"
        reason = "certificate renewal scheduled"
        owner = "security-team"
        approved_by = "cto"
        expires = 2026-11-01
        environments = ["prod"]

        [[waiver]]
        check = "test_checks.py::test_cache"
        reason = "cache warms after launch"
        owner = "perf-team"
        approved_by = "cto"
        expires = 2026-12-31
        environments = ["*"]
    """
    signoffs = """
        [[signoff]]
        item = "MON-06"
        by = "jane.sre"
        at = 2026-11-20
        evidence = "https://wiki.example.test/oncall"
        environments = ["staging"]

        [[signoff]]
        item = "MON-06"
        by = "li.sre"
        at = 2026-11-01
        expires = 2026-11-10
        evidence = "https://wiki.example.test/oncall-old"
        environments = ["prod"]
        release = "1.4.0"
    """
    make_project(pytester, APPROVALS_CHECKS, env=ENV_HTTP + '\n[application]\nexpected_version = "1.4.0"\n',
                 waivers=waivers, signoffs=signoffs)
    result = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    out = result.stdout.str()
    assert "waiver of SEC-01 approved by cto, expires 2026-11-01, environments prod: EXPIRED" in out
    assert ("waiver of test_checks.py::test_cache approved by cto, expires 2026-12-31, environments *: VALID here"
            in out)
    assert "sign-off by jane.sre, no expiry, environments staging: NOT for this environment" in out
    assert "sign-off by li.sre, expires 2026-11-10, environments prod, release 1.4.0: EXPIRED" in out
    assert result.ret == 1
    assert gap_lines(out) == [
        "unsigned: MON-06 (sre): manual item without a valid sign-off for prod release 1.4.0 on 2026-11-25 "
        "(signoff by jane.sre: given for staging; signoff by li.sre: expired 2026-11-10): add a [[signoff]] for MON-06"]


# -------------------------------------------------------------------------------- formats

def test_json_format_through_launch_plan_is_the_plan_alone(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED.replace('@pytest.mark.checklist("PERF-02")\n', ""), env=ENV_HTTP, signoffs=SIGNED)
    result = launch_cli(pytester, "--launch-env=prod", "-m", "t_minus_7", "--format", "json", "--",
                        "-p", "no:cacheprovider")
    assert result.ret == 1, result.stderr.str()
    doc = json.loads("\n".join(result.outlines))  # nothing but the document on stdout
    assert doc["plan_version"] == 1 and doc["exit_code"] == 1
    assert doc["environment"]["name"] == "prod" and doc["environment"]["production"] is True
    assert doc["scope_phases"] == ["t_minus_7"] and doc["judged_on"] == TODAY
    items = {item["id"]: item for item in doc["items"]}
    assert sorted(items) == ["MON-06", "PERF-02", "SEC-01"]
    assert items["SEC-01"]["status"] == "ready"
    assert items["SEC-01"]["checks"][0]["nodeid"] == "test_checks.py::test_tls"
    assert items["SEC-01"]["checks"][0]["tables"] == [{"name": "http", "configured": True, "optional": False}]
    assert items["PERF-02"]["status"] == "uncovered" and items["PERF-02"]["checks"] == []
    assert items["MON-06"]["approvals"][0]["status"] == "valid" and items["MON-06"]["approvals"][0]["applies"]
    assert doc["gap_counts"] == {"uncovered": 1, "missing_table": 0, "undeclared": 0, "unsigned": 0}
    assert [g["item"] for g in doc["gaps"]] == ["PERF-02"]
    assert doc["unlinked"] == []  # test_cache links to nothing and has no phase: -m t_minus_7 deselects it


def test_markdown_format_is_a_table_with_the_gaps(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP)
    result = launch_cli(pytester, "--launch-env=prod", "-m", "t_minus_7", "--format", "markdown")
    out = result.stdout.str()
    assert result.ret == 1
    assert out.startswith("## Launch plan \u2014 prod\n")
    assert "| Item | Phase | Category | Severity | Owner | Mode | Checks and tables | Approvals | Status |" in out
    assert ("| **SEC-01** TLS certificates valid | t_minus_7 | security | blocker | security-team | automated | "
            "test\\_checks.py::test\\_tls: \\[http\\] configured | \u2014 | \u2705 ready |") in out
    assert "| **MON-06** On-call rotation set up | t_minus_7 | monitoring | critical | sre | manual | manual |" in out
    assert "\u274c unsigned |" in out
    assert "- unsigned: MON-06 (sre): manual item without a valid sign-off for prod" in out


def test_launch_plan_text_matches_pytest_launch_plan(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP)
    cli = launch_cli(pytester, "--launch-env=prod", "-m", "t_minus_7")
    plugin = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7", "-n", "2")
    assert cli.ret == plugin.ret == 1
    assert cli.outlines[0] == "environment: prod (readiness/environments/prod.toml), production"
    body = [line for line in cli.outlines if line]
    plugin_out = plugin.stdout.str()
    assert all(line in plugin_out for line in body)
    assert "created:" not in plugin_out  # -n 2 starts no worker: nothing runs


# --------------------------------------------------------------------------- bad input

def test_bad_arguments_are_one_line_and_a_usage_exit(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP, signoffs=SIGNED)
    unknown_env = launch_cli(pytester, "--launch-env=prdo", "-m", "t_minus_7")
    assert unknown_env.ret == 2 and unknown_env.outlines == []
    (line,) = [x for x in unknown_env.errlines if x.strip()]
    assert "prdo.toml: expected an environment file, found no such file (known environments: prod)" in line
    assert "Traceback" not in unknown_env.stderr.str()

    unknown_format = launch_cli(pytester, "--launch-env=prod", "--format", "xml")
    assert unknown_format.ret == 2 and unknown_format.outlines == []
    assert unknown_format.errlines == ["launch plan: --format: expected one of text, json, markdown, found 'xml'"]

    plugin_format = plan_run(pytester, "--launch-env=prod", "--launch-plan-format=xml")
    assert plugin_format.ret == 4
    assert [x for x in plugin_format.errlines if x.strip()] == [
        "ERROR: --launch-plan-format: expected one of text, json, markdown, found 'xml'"]

    with_gate = plan_run(pytester, "--launch-env=prod", "--launch-gate")
    assert with_gate.ret == 4
    assert "--launch-plan runs no check, writes no report and sends nothing: drop --launch-gate" in with_gate.stderr.str()


def test_a_misspelt_declared_table_is_a_usage_error(pytester: pytest.Pytester) -> None:
    checks = COVERED.replace('@pytest.mark.checklist("SEC-01")', '@pytest.mark.env_tables("securty")\n'
                                                                  '@pytest.mark.checklist("SEC-01")')
    make_project(pytester, checks, env=ENV_HTTP, signoffs=SIGNED)
    result = launch_cli(pytester, "--launch-env=prod")
    assert result.ret == 2
    assert ("test_checks.py::test_tls: @pytest.mark.env_tables('securty'): 'securty' is not a known environment table "
            "(did you mean 'security'?)") in result.stderr.str()


def test_a_module_that_fails_to_collect_gives_no_plan(pytester: pytest.Pytester) -> None:
    make_project(pytester, {"test_checks.py": COVERED, "test_broken.py": "import no_such_module\n"},
                 env=ENV_HTTP, signoffs=SIGNED)
    cli = launch_cli(pytester, "--launch-env=prod")
    assert cli.ret == 3 and cli.outlines == []
    assert "launch plan: the suite could not be collected (pytest exit 2): no plan" in cli.stderr.str()
    assert "no_such_module" in cli.stderr.str()
    assert plan_run(pytester, "--launch-env=prod").ret == 2


def test_secrets_are_masked_in_the_plan(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "s3cr3t-t0ken-value")
    waivers = """
        [[waiver]]
        check = "SEC-01"
        reason = "token s3cr3t-t0ken-value is rotated on launch day"
        owner = "security-team"
        approved_by = "cto"
        expires = 2026-12-31
        environments = ["prod"]
    """
    make_project(pytester, COVERED, env=ENV_HTTP + '\n[custom]\napi_token = "${SHOP_TOKEN}"\n', signoffs=SIGNED,
                 waivers=waivers)
    for fmt in ("text", "json", "markdown"):
        result = launch_cli(pytester, "--launch-env=prod", "--format", fmt)
        assert "s3cr3t-t0ken-value" not in result.stdout.str() + result.stderr.str()
        assert "cto" in result.stdout.str()


# ------------------------------------------------------- the real suite, and no network

class ConnectionCounter:
    """A TCP and UDP listener on one loopback port that counts every connection and datagram."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)
        self.count = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._receive, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _accept(self) -> None:
        self.tcp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                continue
            self.count += 1
            conn.close()

    def _receive(self) -> None:
        self.udp.settimeout(0.2)
        while not self._stop.is_set():
            try:
                self.udp.recvfrom(4096)
            except OSError:
                continue
            self.count += 1

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.tcp.close()
        self.udp.close()


@pytest.fixture
def counter() -> Iterator[ConnectionCounter]:
    server = ConnectionCounter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        pass  # the counter counts: one connection of our own, waited for below
    deadline = time.monotonic() + 10
    while server.count < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.count == 1
    server.count = 0
    yield server
    server.close()


def demo_layer(path: Path, port: int) -> Path:
    """The demo environment file with every address a check would reach replaced: the counting
    server on loopback, or an unroutable address."""
    local = f"127.0.0.1:{port}"
    path.write_text(f"""
[environment]
extends = {json.dumps(str(DEMO_TOML))}

[http]
base_url = "https://{local}"

[tls]
endpoints = [{{ host = "demo.launch.test", port = {port}, address = "127.0.0.1" }}]

[dns]
nameservers = ["{local}"]
authoritative = ["{local}"]

[security]
http_redirect_url = "http://{local}/"

[load_balancer]
backends = ["https://{UNROUTABLE}/health", "https://{local}/health"]

[providers]
payments_url = "https://{UNROUTABLE}/health"
push_url = "https://{local}/health"

[[kubernetes.clusters]]
name = "plan-test"
api_url = "https://{local}"
token = "${{PLAN_TEST_KUBE_TOKEN}}"

[aws]
endpoint_url = "http://{local}"

[catalog]
schema = "catalog.schema.json"

[prometheus]
url = "http://{local}"

[alertmanager]
url = "http://{UNROUTABLE}:9093"
expected_receivers = ["catalog-oncall"]
""", "utf-8")
    return path


def run_suite_plan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "LAUNCH_TODAY": TODAY, "DEMO_SENTRY_DSN": "https://key@127.0.0.1:9/1",
               "PLAN_TEST_KUBE_TOKEN": "plan-test-token", "PYTEST_ADDOPTS": "--launch-allow-backdate"}
    return subprocess.run([sys.executable, "-m", "pytest_launch.cli", "plan", *args, "--", "-p", "no:cacheprovider"],
                          cwd=REPO, env=environ, capture_output=True, text=True, timeout=300)


def test_the_readiness_suite_plan_against_the_demo_environment_touches_no_network(
        tmp_path: Path, counter: ConnectionCounter) -> None:
    env = demo_layer(tmp_path / "plan-demo.toml", counter.port)
    started = time.monotonic()
    result = run_suite_plan(tmp_path, f"--launch-env={env}", "-m", "t_minus_7")
    elapsed = time.monotonic() - started
    assert counter.count == 0, "the plan connected to the environment"
    # an attempt at the unroutable address alone would cost a connect timeout per check
    assert elapsed < 120, elapsed
    out = result.stdout
    assert result.returncode == 1, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isupper() and "-" in line[:7]}
    assert rows["INF-04"] == ["t_minus_7", "infra", "blocker", "platform-team", "automated", "READY"]
    assert rows["INF-03"][-1] == "MISSING_TABLE" and rows["INF-02"][-1] == "MISSING_TABLE"
    assert rows["MON-06"][-1] == "READY" and rows["SEC-01"][-1] == "UNSIGNED"
    assert "DAY-01" not in rows  # t_0
    assert ("check readiness/test_security.py::test_secrets_rotated: [aws] configured; [secrets_rotation] configured"
            in out)
    assert "waiver of SEC-06 approved by cto, expires 2027-01-31, environments demo: VALID here" in out
    gaps = gap_lines(out)
    assert not [g for g in gaps if g.startswith(("undeclared", "uncovered"))], gaps  # every suite check declares
    assert sorted(g.split(":")[1].split()[0] for g in gaps if g.startswith("missing table")) == [
        "DAT-04", "INF-02", "INF-03", "MON-02"]
    assert "plan-test-token" not in out


def test_every_readiness_check_declares_its_tables_in_every_phase(tmp_path: Path,
                                                                  counter: ConnectionCounter) -> None:
    env = demo_layer(tmp_path / "plan-demo.toml", counter.port)
    result = run_suite_plan(tmp_path, f"--launch-env={env}", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["scope_phases"] == ["t_minus_7", "t_0", "t_plus_1"]
    assert doc["gap_counts"]["undeclared"] == 0 and doc["gap_counts"]["uncovered"] == 0
    checks = [c for item in doc["items"] for c in item["checks"]] + doc["unlinked"]
    assert len(checks) > 50 and all(c["tables"] for c in checks if "launch_day" not in c["nodeid"])
    stage = [c for c in checks if "test_launch_day.py" in c["nodeid"]]
    assert stage and all({t["name"] for t in c["tables"]} == {"prometheus", "rollout"} for c in stage)
    assert counter.count == 0


def test_the_plan_writes_nothing(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED, env=ENV_HTTP, signoffs=SIGNED)

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in pytester.path.rglob("*") if p.is_file()
                and not {"__pycache__", "runpytest-0"} & set(p.relative_to(pytester.path).parts)
                and p.name not in ("stdout", "stderr")}  # pytester's own capture of the subprocess

    before = files()
    assert plan_run(pytester, "--launch-env=prod").ret == 1
    assert files() == before


def test_the_documented_plan_commands_are_what_the_cli_accepts() -> None:
    from pytest_launch.cli import build_parser

    found = []
    for doc in (REPO / "README.md", REPO / "docs" / "ci.md"):
        for line in doc.read_text("utf-8").splitlines():
            if line.strip().startswith("launch plan ") and not line.strip().startswith("launch plan ("):
                words = line.split("#")[0].split("|")[0].split(">>")[0].split()
                args = build_parser("launch").parse_args(words[1:])
                assert args.command == "plan" and args.format in ("text", "json", "markdown"), line
                assert args.launch_env and args.markexpr == "t_minus_7", line
                found.append(line)
    assert len(found) >= 4


def test_a_destructive_check_against_production_is_marked_refused(pytester: pytest.Pytester) -> None:
    make_project(pytester, COVERED.replace('@pytest.mark.checklist("SEC-01")',
                                           '@pytest.mark.destructive\n@pytest.mark.checklist("SEC-01")'),
                 env=ENV_HTTP, signoffs=SIGNED)
    out = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7").stdout.str()
    assert ("check test_checks.py::test_tls (destructive: refused against production unless "
            "--launch-allow-destructive): [http] configured") in out


def test_optional_tables_are_shown_and_a_real_run_holds_a_check_to_its_declaration(pytester: pytest.Pytester) -> None:
    checks = """
        import pytest
        from pytest_launch.plugin.fixtures import require_table

        @pytest.mark.env_tables("security", optional=("catalog",))
        @pytest.mark.checklist("SEC-01")
        def test_headers(launch_env, launch_http):
            require_table(launch_env, "security")
            require_table(launch_env, "http")          # launch_http's table: declared by the fixture
            if launch_env.table("catalog") is not None:
                require_table(launch_env, "catalog")

        @pytest.mark.env_tables("security")
        @pytest.mark.checklist("PERF-02")
        def test_reads_more_than_it_declares(launch_env):
            require_table(launch_env, "security")
            require_table(launch_env, "cdn")
    """
    env = ENV_HTTP + '\n[security]\nheader_paths = ["/"]\n\n[cdn]\nurls = ["https://cdn.example.test/a.css"]\n'
    make_project(pytester, checks, env=env, signoffs=SIGNED)
    plan = plan_run(pytester, "--launch-env=prod", "-m", "t_minus_7")
    out = plan.stdout.str()
    assert ("check test_checks.py::test_headers: [catalog] optional, not configured; [http] configured; "
            "[security] configured") in out
    assert plan.ret == 0, out  # an optional table is never a gap (and the plan cannot see the extra read)
    run = pytester.runpytest_subprocess("--launch-env=prod", "-m", "t_minus_7", "-p", "no:cacheprovider",
                                        "--launch-report-dir", "out", "-rA")
    run.assert_outcomes(passed=2, failed=1)
    assert ("test_checks.py::test_reads_more_than_it_declares reads [cdn], which its @pytest.mark.env_tables(...) "
            "does not name: add 'cdn' to it") in run.stdout.str()


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_a_declaration_on_a_module_or_a_class_holds_its_checks_too(pytester: pytest.Pytester, workers) -> None:
    # the guard is registered only in a run where some collected node carries env_tables: a
    # module's pytestmark or a class marker counts as much as a check's own marker
    checks = {
        "test_module_marked.py": """
            import pytest
            from pytest_launch.plugin.fixtures import require_table

            pytestmark = pytest.mark.env_tables("security")

            @pytest.mark.checklist("SEC-01")
            def test_module_declared(launch_env):
                require_table(launch_env, "cdn")
        """,
        "test_class_marked.py": """
            import pytest
            from pytest_launch.plugin.fixtures import require_table

            @pytest.mark.env_tables("security")
            class TestDeclared:
                @pytest.mark.checklist("PERF-02")
                def test_class_declared(self, launch_env):
                    require_table(launch_env, "cdn")
        """,
        "test_undeclared.py": """
            import pytest
            from pytest_launch.plugin.fixtures import require_table

            @pytest.mark.t_minus_7
            @pytest.mark.minor
            def test_declares_nothing(launch_env):
                require_table(launch_env, "cdn")
        """,
    }
    env = ENV_HTTP + '\n[security]\nheader_paths = ["/"]\n\n[cdn]\nurls = ["https://cdn.example.test/a.css"]\n'
    make_project(pytester, checks, env=env, signoffs=SIGNED)
    run = pytester.runpytest_subprocess("--launch-env=prod", "-m", "t_minus_7", "-p", "no:cacheprovider",
                                        "--launch-report-dir", "out", "-rA", *workers)
    out = run.stdout.str()
    assert "test_module_marked.py::test_module_declared reads [cdn], which its @pytest.mark.env_tables" in out
    assert "TestDeclared::test_class_declared reads [cdn], which its @pytest.mark.env_tables" in out
    run.assert_outcomes(passed=2, failed=2)  # the check that declares nothing reads what it likes


def test_a_run_without_declarations_registers_no_guard(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_plain(request):
            assert not request.config.pluginmanager.has_plugin("launch-declared-tables")
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
