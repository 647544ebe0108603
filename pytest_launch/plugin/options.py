"""Every command-line and ini option of pytest-launch, registered in one place."""

from __future__ import annotations

import pytest

from pytest_launch.core.vocabulary import PLAN_FORMATS


def _stage(value: str) -> int:
    try:
        stage = int(value.rstrip("%"))
    except ValueError:
        raise pytest.UsageError(f"--launch-stage: expected a traffic percentage such as 25, found {value!r}") from None
    if not 0 < stage <= 100:
        raise pytest.UsageError(f"--launch-stage: expected a percentage from 1 to 100, found {stage}")
    return stage


def _plan_format(value: str) -> str:
    if value not in PLAN_FORMATS:
        raise pytest.UsageError(f"--launch-plan-format: expected one of {', '.join(PLAN_FORMATS)}, found {value!r}")
    return value


ENV_ALIAS = "--env"
TLS_WORKERS_INI = "launch_tls_max_workers"


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("launch", "launch readiness (pytest-launch)")
    group.addoption("--launch-env", dest="launch_env", metavar="NAME|PATH", default=None,
                    help="environment to check: a name looked up in launch_environments_dir, or a path to a .toml file "
                    "(--env is an alias unless a conftest.py or another plugin defines its own --env). Its ${VAR} values are "
                    "secrets, masked in every report, log and output pytest-launch reaches (the checks' prints too, even "
                    "under -s and --capture=tee-sys), but NOT in output written below Python (subprocesses, os.write) "
                    "under -s/--capture=no, --capture=sys or tee-sys, nor under -p no:warnings, --pdb/--trace or "
                    "--setup-show: the run warns when such a mode is used with secrets loaded")
    group.addoption("--launch-json", dest="launch_json", metavar="PATH", default=None,
                    help="also write the go/no-go JSON results to PATH")
    group.addoption("--launch-report-dir", dest="launch_report_dir", metavar="DIR", default=None,
                    help="folder for go-no-go.json/.html/.md and history, per environment (default: reports/)")
    group.addoption("--launch-gate", dest="launch_gate", action="store_true", default=False,
                    help="exit code follows the verdict: 0 GO, 0 GO_WITH_RISKS (10 with --launch-strict), "
                    "1 NO_GO, 20 ROLLBACK")
    group.addoption("--launch-strict", dest="launch_strict", action="store_true", default=False,
                    help="with --launch-gate, GO_WITH_RISKS exits 10")
    group.addoption("--launch-allow-destructive", dest="launch_allow_destructive", action="store_true",
                    default=False, help="run checks marked destructive even against a production environment")
    group.addoption("--launch-allow-backdate", dest="launch_allow_backdate", action="store_true", default=False,
                    help="allow $LAUNCH_TODAY earlier than today under CI=true (a rehearsal run as of a past day; "
                    "the reports say it is back-dated)")
    group.addoption("--launch-stage", dest="launch_stage", metavar="PERCENT", type=_stage, default=None,
                    help="evaluate this traffic step of the rollout (5, 25, 50, 100): PROCEED, HOLD or ROLLBACK")
    group.addoption("--launch-report-url", dest="launch_report_url", metavar="BASE", default=None,
                    help="the http(s) address where this environment's report folder (reports/<env>/) is published: "
                    "the Markdown summary, the notifications and --junitxml link BASE/<phase>/go-no-go.html "
                    "(default: [reports] url of the environment file)")
    group.addoption("--launch-notify", dest="launch_notify", metavar="[FORMAT:]URL", action="append", default=[],
                    help="send the verdict, the why, the top to-dos and the page link to a webhook; repeatable. "
                    "FORMAT is slack, teams or webhook (default: guessed from the host). Webhook URLs are secrets: "
                    "give '${VAR}' in single quotes (expanded by pytest-launch, masked everywhere); "
                    "also [reports] notify in the environment file. A failed send is reported, never changes "
                    "the verdict or the exit code")
    group.addoption("--launch-notify-on", dest="launch_notify_on", choices=("change", "always", "nogo"), default=None,
                    help="when to notify: change (the verdict differs from the previous run's; the default), always, "
                    "or nogo (NO_GO and ROLLBACK only); default [reports] notify_on")
    group.addoption("--launch-plan", dest="launch_plan", action="store_true", default=False,
                    help="print the plan instead of running: every checklist item in scope (-m), its checks, whether the "
                    "environment configures the tables they need, the waiver or sign-off that applies; nothing is run "
                    "or probed. Exit 1 when the plan has gaps (an automated item without a check, a missing or "
                    "undeclared table, a manual item without a valid sign-off), 0 otherwise")
    group.addoption("--launch-plan-format", dest="launch_plan_format", metavar="FORMAT", type=_plan_format,
                    default="text", help="format of --launch-plan: text (default), json or markdown")
    for name, (help_text, default) in INI_PATHS.items():
        parser.addini(name, help_text, default=default)
    parser.addini(TLS_WORKERS_INI, "TLS fan-out pool size when [tls] max_workers is not set (default 32)",
                  default="")


def add_env_alias(parser: pytest.Parser) -> bool:
    """Add `--env` as the alias of `--launch-env`, called once the suite's initial conftest.py
    files have added their options. When a conftest.py or another plugin already defines `--env`,
    theirs stays exactly as it was and only --launch-env selects the launch environment; returns
    False then."""
    if ENV_ALIAS in parser._opt2dest:
        return False
    parser.getgroup("launch").addoption(
        ENV_ALIAS, dest="launch_env", metavar="NAME|PATH", default=None,
        help="alias of --launch-env (absent when a conftest.py or another plugin defines its own --env)")
    return True


# the ini paths and their defaults: a default that is absent means "none" (no waivers, the
# default policy, no checklist); a path set explicitly (in the ini file or with -o) must exist
INI_PATHS: dict[str, tuple[str, str]] = {
    "launch_environments_dir": ("folder of environment files NAME.toml", "readiness/environments"),
    "launch_checklist": ("the checklist file", "readiness/checklist.toml"),
    "launch_waivers": ("the waivers file", "readiness/waivers.toml"),
    "launch_signoffs": ("the sign-offs file", "readiness/signoffs.toml"),
    "launch_policy": ("the policy file", "readiness/policy.toml"),
}
