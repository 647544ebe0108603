"""[reports] in the environment file, and the notification targets of a run.

    [reports]
    url = "https://reports.example.com/launch/prod"   # where reports/<env>/ is published
    notify = ["slack:${SLACK_LAUNCH_WEBHOOK}"]         # who hears the verdict (${VAR}: secrets)
    notify_on = "change"                              # change | always | nogo
    notify_timeout = 10.0                             # seconds per connect/read, each send

`url` is the address of the published environment folder (what `launch publish reports/<env>
s3://...` uploads, served over http(s)); a run's page is `url/<phase>/go-no-go.html`. The same
comes from `--launch-report-url BASE`, which wins over the file.

A notification target is `[FORMAT:]URL` with FORMAT slack, teams or webhook; without a prefix the
format is guessed from the host (hooks.slack.com: slack; *.logic.azure.com, *.powerplatform.com,
*.webhook.office.com: teams; else webhook). Webhook URLs are secrets: write them as ${VAR} (on the
command line in single quotes, so the shell leaves the expansion to pytest-launch); every target's
URL is masked in every output whatever way it was given, and shown as `FORMAT scheme://host/***`
(or the variable's name).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import quote, urlsplit

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import Table, http_url_problem

FORMATS: tuple[str, ...] = ("slack", "teams", "webhook")
NOTIFY_ON: tuple[str, ...] = ("change", "always", "nogo")
NOTIFY_TIMEOUT_S = 10.0
NotifyOn = Literal["change", "always", "nogo"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PREFIX = re.compile(r"^(slack|teams|webhook):(?!//)", re.IGNORECASE)
_TEAMS_HOSTS = (".logic.azure.com", ".powerplatform.com", ".webhook.office.com", ".powerautomate.com")


@dataclasses.dataclass(frozen=True)
class NotifyTarget:
    """Where a notification goes. `url` is a secret: never print it, print `shown`."""

    format: str
    url: str
    shown: str

    def __repr__(self) -> str:  # a target in a traceback or a debug log shows no secret
        return f"NotifyTarget({self.shown!r})"


def guess_format(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if host == "hooks.slack.com":
        return "slack"
    if host.endswith(_TEAMS_HOSTS):
        return "teams"
    return "webhook"


def masked_url(url: str) -> str:
    """scheme://host[:port]/*** : what may be shown of a webhook URL."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}/***"


def parse_target(text: str, where: str, environ: Mapping[str, str] | None = None,
                 fmt: str | None = None) -> NotifyTarget:
    """A target from `[FORMAT:]URL` (the URL may hold ${VAR}); ConfigError naming `where` for an
    unknown format, a variable that is not set, or a value that is not an http(s) URL (the value
    itself is never shown). `fmt` (a separate --format) applies when the text has no prefix."""
    environ = os.environ if environ is None else environ
    raw = text.strip()
    prefix = _PREFIX.match(raw)
    if prefix:
        fmt = prefix.group(1).lower()
        raw = raw[prefix.end():]
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(where, None, "a format among " + ", ".join(FORMATS), repr(fmt))
    names = _VAR.findall(raw)
    for name in names:
        if name not in environ or not environ[name]:
            raise ConfigError(where, None, f"the environment variable {name} to be set (it holds the webhook URL)",
                              "it is not set" if name not in environ else "it is empty",
                              f"export {name}=https://... before the run")
    url = _VAR.sub(lambda m: environ[m.group(1)], raw)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        found = f"a value starting {parts.scheme + '://' if parts.scheme else repr(url[:6] + '...')}" \
            if not names else f"${{{names[0]}}} holding something else"
        raise ConfigError(where, None, "[slack:|teams:|webhook:]https://... (a webhook URL, or ${VAR} holding one)",
                          found)
    fmt = fmt or guess_format(url)
    shown = f"{fmt} " + (f"${{{names[0]}}} ({masked_url(url)})" if names else masked_url(url))
    return NotifyTarget(fmt, url, shown)


def target_secrets(targets: list[NotifyTarget]) -> list[str]:
    """What the redactor must mask for these targets: of each URL, its path and query (everything
    after the host, masked whole and in any 8-character piece that is not a plain word), and each
    path segment or query value that looks like a token (a digit in it, or 16 characters or more).
    Not the whole URL: core.redact would make every 8-letter path segment a secret of its own, and
    mask words such as "services" or "triggers" all over the reports."""
    found: list[str] = []
    for target in targets:
        parts = urlsplit(target.url)
        tail = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        pieces = [tail] + [p for p in parts.path.split("/") if p]
        pieces += [value for pair in parts.query.split("&") for value in pair.split("=")[1:] if value]
        if parts.password:
            pieces.append(parts.password)
        found += [p for p in pieces if p == tail or len(p) >= 16 or any(c.isdigit() for c in p)]
    return [p for p in found if len(p) >= 3]


def page_url(base: str, subfolder: str) -> str:
    """The page of a report folder `subfolder` (relative to the environment folder, e.g.
    "t_minus_7" or "t_0/stage-25") under the published environment folder `base`."""
    path = "/".join(quote(part) for part in subfolder.strip("/").split("/") if part)
    return base.rstrip("/") + "/" + (path + "/" if path else "") + "go-no-go.html"


@dataclasses.dataclass
class ReportsSettings(Table):
    """[reports]: where the reports are published, and who is told the verdict."""

    # the http(s) address of the published environment folder (reports/<env>/): a page is url/<phase>/go-no-go.html
    url: str | None = None
    # notification targets, "[slack:|teams:|webhook:]${VAR}": webhook URLs are secrets
    notify: list[str] = dataclasses.field(default_factory=list)
    notify_on: NotifyOn = "change"
    notify_timeout: float = NOTIFY_TIMEOUT_S

    def validate(self) -> tuple[str, str] | None:
        problem = http_url_problem("url", self.url)
        if problem:
            return problem
        if not (0 < self.notify_timeout <= 120):
            return ("notify_timeout to be a number of seconds above 0 and at most 120", repr(self.notify_timeout))
        for index, text in enumerate(self.notify):
            prefix = _PREFIX.match(text.strip())
            url = text.strip()[prefix.end():] if prefix else text.strip()
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return (f"notify[{index}] to be [slack:|teams:|webhook:]https://... (write the URL as ${{VAR}})",
                        "a value that is not an http(s) URL")
        return None

    def targets(self, where: str) -> list[NotifyTarget]:
        """The notify entries as targets (their ${VAR} already substituted by the loader)."""
        return [parse_target(text, f"{where}: [reports] notify[{i}]", {}) for i, text in enumerate(self.notify)]
