"""What the plugin loads once per run, before any check: environment, checklist, waivers,
sign-offs and policy. Any bad file stops the run here with a usage error."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest

from pytest_launch.config.approvals import load_signoffs, load_waivers
from pytest_launch.config.checklist import load_checklist
from pytest_launch.config.environment import Environment, load_environment, resolve_path
from pytest_launch.config.policy import Policy, load_policy
from pytest_launch.config.reports import NOTIFY_TIMEOUT_S, NotifyTarget, parse_target, target_secrets
from pytest_launch.config.tables import added_tables
from pytest_launch.core.clock import JudgingDate, judging_date, refuse_backdate_in_ci
from pytest_launch.core.errors import ConfigError, did_you_mean
from pytest_launch.core.model import ChecklistItem, Signoff, Waiver
from pytest_launch.core.redact import Redactor
from pytest_launch.core.settings import http_url_problem
from pytest_launch.plugin.options import INI_PATHS
from pytest_launch.plugin.reports import CHANNEL_INPUT, new_channel_name


@dataclasses.dataclass
class Notify:
    """Who hears the verdict (--launch-notify and [reports] notify), and when."""

    targets: list[NotifyTarget]
    on: str  # change | always | nogo
    timeout_s: float


@dataclasses.dataclass
class LaunchState:
    environment: Environment | None
    checklist: list[ChecklistItem]
    waivers: list[Waiver]
    signoffs: list[Signoff]
    policy: Policy
    redactor: Redactor
    clock: JudgingDate  # the date approvals are judged on ($LAUNCH_TODAY or today)
    checklist_path: Path
    report_dir: Path | None  # None: the plugin writes no report for this run
    json_path: Path | None
    stage: int | None
    allow_destructive: bool
    channel: str  # the user-property name of the plugin's own facts this run (results.new_channel_name)
    input_files: tuple[Path, ...] = ()  # every file the run reads: no output may replace one
    report_url: str | None = None  # where reports/<env>/ is published (--launch-report-url, [reports] url)
    notify: Notify = dataclasses.field(default_factory=lambda: Notify([], "change", NOTIFY_TIMEOUT_S))

    @functools.cached_property
    def items_by_id(self) -> dict[str, ChecklistItem]:
        """The checklist by id (looked up for every collected check: built once)."""
        return {item.id: item for item in self.checklist}

    @functools.cached_property
    def refuses_destructive(self) -> bool:
        """A check marked `destructive` is refused in this run: production, without --launch-allow-destructive
        (asked before every check: answered once)."""
        return self.environment is not None and self.environment.production and not self.allow_destructive

    @functools.cached_property
    def manual_ids(self) -> set[str]:
        return {item.id for item in self.checklist if item.mode == "manual"}

    @property
    def today(self) -> dt.date:
        return self.clock.date

    @property
    def active(self) -> bool:
        """True when this run asked for a launch decision (an environment, a JSON path or the gate)."""
        return self.report_dir is not None or self.json_path is not None


def _ini_path(config: pytest.Config, name: str) -> Path:
    """The path an ini option names (relative to the rootdir). A path set explicitly (in the ini
    file or with -o) that does not exist is a ConfigError: a misspelt path must not silently
    mean "no file". Only the defaults may be absent."""
    raw = str(config.getini(name))
    value = Path(raw)
    path = value if value.is_absolute() else config.rootpath / value
    if raw != INI_PATHS[name][1] and not path.exists():
        where = str(config.inipath) if config.inipath is not None else "the ini options"
        folder = path.parent
        if folder.is_dir():
            entries = sorted(p.name for p in folder.iterdir())
            hint = did_you_mean(path.name, entries) or f"{folder} holds: " + (", ".join(entries[:12]) or "nothing")
        else:
            hint = f"{folder} does not exist either"
        raise ConfigError(where, name, f"an existing path for {INI_PATHS[name][0]} ({raw!r}, relative to the rootdir "
                          f"{config.rootpath})", f"no such path: {path}", hint)
    return path


def added_tables_of(config: pytest.Config) -> dict[str, type[Any]]:
    """The environment tables plugins and initial conftest.py files add (pytest_launch_tables):
    the readiness suite's conftest registers its own; without it they are unknown tables."""
    results = config.hook.pytest_launch_tables(config=config)
    return added_tables(("a pytest_launch_tables implementation", result) for result in results)


def load_state(config: pytest.Config) -> LaunchState:
    """Load everything the run needs; ConfigError on the first bad input."""
    opt = config.option
    clock = judging_date()
    environment = None
    environments_dir = _ini_path(config, "launch_environments_dir")
    if opt.launch_env:
        path = resolve_path(opt.launch_env, environments_dir)
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
        environment = load_environment(path, added_tables=added_tables_of(config), root=config.rootpath)
    checklist_path = _ini_path(config, "launch_checklist")
    policy_path = _ini_path(config, "launch_policy")
    waivers_path = _ini_path(config, "launch_waivers")
    signoffs_path = _ini_path(config, "launch_signoffs")
    policy = load_policy(policy_path)
    if environment is not None and environment.table("policy") is not None:
        policy = environment.table("policy")  # type: ignore[assignment]  # not None: checked above
    reports = environment.table("reports") if environment is not None else None
    where = str(environment.path) if environment is not None else "--launch-notify"
    targets = [parse_target(text, f"--launch-notify {i + 1}") for i, text in enumerate(opt.launch_notify or [])]
    targets += reports.targets(where) if reports is not None else []
    notify = Notify(targets, opt.launch_notify_on or (reports.notify_on if reports is not None else "change"),
                    reports.notify_timeout if reports is not None else NOTIFY_TIMEOUT_S)
    report_url = opt.launch_report_url or (reports.url if reports is not None else None)
    if opt.launch_report_url:
        problem = http_url_problem("BASE", opt.launch_report_url)
        if problem:
            raise ConfigError("--launch-report-url", None, *problem)
    redactor = Redactor([*(environment.secrets if environment else ()), *target_secrets(targets)])
    # --launch-plan runs nothing: no decision, no report, nothing written (plugin.plan)
    active = bool(opt.launch_env or opt.launch_json or opt.launch_gate) and not getattr(opt, "launch_plan", False)
    report_dir = None
    if active:  # a deciding run: a back-dated clock in CI must be asked for
        refuse_backdate_in_ci(clock, bool(opt.launch_allow_backdate))
        report_dir = Path(opt.launch_report_dir) if opt.launch_report_dir else config.rootpath / "reports"
    return LaunchState(
        environment=environment,
        checklist=load_checklist(checklist_path),
        waivers=load_waivers(waivers_path),
        signoffs=load_signoffs(signoffs_path),
        policy=policy,
        redactor=redactor,
        clock=clock,
        checklist_path=checklist_path,
        report_dir=report_dir,
        json_path=Path(opt.launch_json) if opt.launch_json else None,
        stage=opt.launch_stage,
        allow_destructive=bool(opt.launch_allow_destructive),
        report_url=report_url,
        notify=notify,
        input_files=tuple(p for p in (checklist_path, policy_path, waivers_path, signoffs_path, config.inipath,
                                      *((environment.path, *environment.bases) if environment else ()))
                          if p is not None),
        # an xdist worker writes under the name its controller made (a fresh one when it has none:
        # then nothing it reports is read as the plugin's, and the run cannot be GO)
        channel=(config.workerinput.get(CHANNEL_INPUT) or new_channel_name()) if hasattr(config, "workerinput")
        else new_channel_name(),
    )


# where the run's LaunchState lives (config.stash): every plugin module reads it from here
STATE_KEY = pytest.StashKey[LaunchState]()
