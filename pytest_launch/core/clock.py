"""The date a decision is judged on: the one place that reads $LAUNCH_TODAY.

Waivers and sign-offs expire; judging them on a moved clock (a rehearsal "as of" another day)
can make an expired approval valid again. So the judging date travels with every output, a
moved clock is said out loud, and under CI a back-dated run is refused unless asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping

from pytest_launch.core.errors import ConfigError

TODAY_VARIABLE = "LAUNCH_TODAY"  # YYYY-MM-DD: rehearse a run as of another day
ALLOW_BACKDATE_OPTION = "--launch-allow-backdate"


@dataclasses.dataclass(frozen=True)
class JudgingDate:
    """The date approvals are judged on, and the real date of the machine that judged."""

    date: dt.date
    real_today: dt.date

    @property
    def backdated(self) -> bool:
        return self.date < self.real_today

    @property
    def forward_dated(self) -> bool:
        return self.date > self.real_today

    def note(self) -> str | None:
        """One sentence when the clock was moved, None when the run was judged on today."""
        if self.backdated:
            return (f"BACK-DATED: judged as of {self.date.isoformat()} (${TODAY_VARIABLE}), not today "
                    f"{self.real_today.isoformat()}: waivers and sign-offs that have expired since may count")
        if self.forward_dated:
            return (f"FORWARD-DATED: judged as of {self.date.isoformat()} (${TODAY_VARIABLE}), not today "
                    f"{self.real_today.isoformat()}: approvals are judged as on a day that has not come")
        return None

    def run_fields(self) -> dict[str, object]:
        """The fields every results document carries (run.judged_on, ...)."""
        return {"judged_on": self.date.isoformat(), "real_today": self.real_today.isoformat(),
                "backdated": self.backdated, "forward_dated": self.forward_dated}


def is_ci(environ: Mapping[str, str]) -> bool:
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def judging_date(environ: Mapping[str, str] | None = None, real_today: dt.date | None = None) -> JudgingDate:
    """$LAUNCH_TODAY when set (ConfigError when it is not a date), else today."""
    environ = os.environ if environ is None else environ
    today = real_today or dt.date.today()
    value = environ.get(TODAY_VARIABLE, "").strip()
    if not value:
        return JudgingDate(today, today)
    try:
        return JudgingDate(dt.date.fromisoformat(value), today)
    except ValueError:
        raise ConfigError(f"${TODAY_VARIABLE}", None, "a date YYYY-MM-DD", repr(value)) from None


def refuse_backdate_in_ci(clock: JudgingDate, allowed: bool, environ: Mapping[str, str] | None = None,
                          flag: str = ALLOW_BACKDATE_OPTION) -> None:
    """ConfigError for a back-dated run under CI=true unless `allowed` (the team asked for it)."""
    environ = os.environ if environ is None else environ
    if clock.backdated and is_ci(environ) and not allowed:
        raise ConfigError(
            f"${TODAY_VARIABLE}", None,
            f"no back-dating in CI (today is {clock.real_today.isoformat()}; pass {flag} for a rehearsal "
            f"run on purpose)", repr(clock.date.isoformat()))


def document_clock_note(run: Mapping[str, object]) -> str | None:
    """The moved-clock sentence for a results document's `run` (None when judged on its own day,
    or for a document written before the judging date was recorded)."""
    judged_on, real_today = run.get("judged_on"), run.get("real_today")
    if not isinstance(judged_on, str) or not isinstance(real_today, str) or not judged_on or not real_today:
        return None
    try:
        return JudgingDate(dt.date.fromisoformat(judged_on), dt.date.fromisoformat(real_today)).note()
    except ValueError:
        return f"judged as of {judged_on!r}, which is not a date"
