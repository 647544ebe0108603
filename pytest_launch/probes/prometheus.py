"""Prometheus probe: a read-only client of the Prometheus HTTP API.

    [prometheus]
    url = "https://prometheus.internal:9090"
    timeout_s = 10                  # every request
    ca_bundle = "ca.pem"            # optional; TLS verification is on unless verify = false
    bearer_token = "${PROM_TOKEN}"  # optional; only through ${VAR}, never written in the file
    min_samples = 10                # default for thresholds
    step = "15s"                    # resolution of range queries and subqueries
    default_window = "5m"           # for thresholds without `over`
    expected_jobs = ["api"]         # scrape jobs whose targets must all be up
    expected_alerts = ["HighErrorRate"]  # alert rules that must exist

    [prometheus.queries]            # metric name -> PromQL template (see pytest_launch.core.thresholds)
    error_rate = 'sum(rate(http_requests_total{code=~"5..",{labels}}[{window}])) / sum(rate(http_requests_total{{labels}}[{window}]))'

Queries never raise for a server problem: they give a `QueryResult` whose status is "ok",
"no_data" (no series, NaN or infinite values, fewer samples than asked for) or "error" (bad
PromQL, connection refused, timeout, HTTP error), with the reason. Only "ok" carries a value.
The other endpoints raise `ProbeError` naming the target.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Literal

import requests

from pytest_launch.core.thresholds import value_text
from pytest_launch.probes.api_client import ApiClient, ApiSettings
from pytest_launch.probes.errors import NoAnswer, ProbeError, mask_secrets

_EVIDENCE_SERIES = 20  # at most this many series are copied into evidence


@dataclasses.dataclass
class PrometheusSettings(ApiSettings):
    """[prometheus]: where the metrics are, and what the checks expect of them."""

    queries: dict[str, str] = dataclasses.field(default_factory=dict)
    min_samples: int = 1
    step: str = "15s"
    default_window: str = "5m"
    expected_jobs: list[str] = dataclasses.field(default_factory=list)
    expected_alerts: list[str] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        problem = super().validate()
        if problem:
            return problem
        if self.min_samples < 1:
            return ("min_samples to be 1 or more", str(self.min_samples))
        for name, value in (("step", self.step), ("default_window", self.default_window)):
            if not is_duration(value):
                return (f"{name} to be a duration such as 15s, 5m, 1h", repr(value))
        return None


def is_duration(text: str) -> bool:
    return len(text) >= 2 and text[:-1].isdigit() and int(text[:-1]) > 0 and text[-1] in "smhd"


def duration_seconds(text: str) -> float:
    return float(int(text[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[text[-1]])


@dataclasses.dataclass
class QueryResult:
    """What one PromQL query gave. Only status "ok" has a value; "no_data" and "error" never do."""

    query: str
    status: Literal["ok", "no_data", "error"]
    value: float | None = None  # the single series' latest value (None with several series)
    series: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {labels, samples: [[ts, v]]}
    sample_count: int = 0
    error: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    no_answer: NoAnswer | None = None  # Prometheus gave no answer at all (refused, timeout, deadline)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def values(self) -> list[float]:
        """The latest value of every series (for an instant query: its values)."""
        return [s["samples"][-1][1] for s in self.series if s["samples"]]

    def evidence(self) -> dict[str, Any]:
        """Built-in types only (NaN and infinities as strings), at most 20 series, each with its
        latest sample."""
        return {
            "query": self.query,
            "status": self.status,
            "value": _json_number(self.value),
            "sample_count": self.sample_count,
            "series_count": len(self.series),
            "series": [
                {"labels": dict(s["labels"]), "samples": len(s["samples"]),
                 "latest": _json_number(s["samples"][-1][1]) if s["samples"] else None}
                for s in self.series[:_EVIDENCE_SERIES]
            ],
            "error": self.error,
            "warnings": list(self.warnings),
        }


def _json_number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return value_text(value)


def _sample(pair: Any) -> list[float]:
    ts, raw = pair
    return [float(ts), float(raw)]  # float("NaN"), float("+Inf") parse as such


class PrometheusProbe(ApiClient[PrometheusSettings]):
    """A read-only client of one Prometheus server."""

    table = "prometheus"
    kind = "prometheus"
    settings: PrometheusSettings

    # ------------------------------------------------------------------ transport

    def _get(self, path: str, params: Mapping[str, Any] | None = None, method: str = "GET") -> requests.Response:
        if method == "POST":
            return self._send("POST", path, data=params)
        return self._send("GET", path, params=params)

    def _api(self, path: str, params: Mapping[str, Any] | None = None,
             method: str = "GET") -> tuple[Any, list[str]]:
        """The `data` of an API answer; ProbeError for transport, HTTP and API errors."""
        response = self._get(path, params, method)
        payload: Any = None
        try:
            payload = response.json()
        except ValueError:
            pass
        if isinstance(payload, dict) and payload.get("status") == "error":
            raise ProbeError(self._target(path), f"{payload.get('errorType', 'error')}: {payload.get('error', '')}"
                             f" (HTTP {response.status_code})", self.secrets)
        if response.status_code >= 400:
            raise ProbeError(self._target(path), f"HTTP {response.status_code} {response.reason or ''}".rstrip(),
                             self.secrets)
        if not isinstance(payload, dict) or payload.get("status") != "success":
            raise ProbeError(self._target(path), "not a Prometheus API answer (no status: success)", self.secrets)
        return payload.get("data"), payload.get("warnings") or []

    # ------------------------------------------------------------------ health

    def ready(self) -> bool:
        """Whether /-/ready answers 200. Connection problems raise ProbeError."""
        return self._get("/-/ready").status_code == 200

    def healthy(self) -> bool:
        return self._get("/-/healthy").status_code == 200

    # ------------------------------------------------------------------ queries

    def query(self, promql: str, at: float | None = None, min_samples: int = 1) -> QueryResult:
        """An instant query. Each series has one sample; fewer than `min_samples` series is no_data."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = at
        return self._query("/api/v1/query", promql, params, min_samples, per_series=False)

    def query_range(self, promql: str, start: float, end: float, step: float | str, min_samples: int = 1) -> QueryResult:
        """A range query; every series needs at least `min_samples` finite samples, or it is no_data."""
        step_s = duration_seconds(step) if isinstance(step, str) else float(step)
        params = {"query": promql, "start": start, "end": end, "step": step_s}
        return self._query("/api/v1/query_range", promql, params, min_samples, per_series=True)

    def _query(self, path: str, promql: str, params: dict[str, Any], min_samples: int, per_series: bool) -> QueryResult:
        try:
            data, warnings = self._api(path, params, method="POST")
        except NoAnswer as error:
            return QueryResult(promql, "error", error=str(error), no_answer=error)
        except ProbeError as error:
            return QueryResult(promql, "error", error=str(error))
        series, problem = _parse_result(data)
        if problem:
            return QueryResult(promql, "error", error=f"{self._target(path)}: {problem}", warnings=warnings)
        total = sum(len(s["samples"]) for s in series)
        result = QueryResult(promql, "ok", series=series, sample_count=total, warnings=warnings)
        if not series:
            result.status, result.error = "no_data", "the query returned no series"
            return result
        for s in series:
            non_finite = [v for _, v in s["samples"] if not math.isfinite(v)]
            if non_finite and not per_series:
                result.status, result.error = "no_data", f"{_labels_text(s['labels'])} is {value_text(non_finite[0])} (not a measurement)"
                return result
            finite = len(s["samples"]) - len(non_finite)
            if per_series and finite < min_samples:
                result.status = "no_data"
                result.error = (f"{_labels_text(s['labels'])} has {finite} samples, fewer than the "
                                f"{min_samples} asked for")
                return result
        if not per_series and len(series) < min_samples:
            result.status = "no_data"
            result.error = f"{len(series)} samples, fewer than the {min_samples} asked for"
            return result
        if len(series) == 1:
            latest = series[0]["samples"][-1][1]
            if not math.isfinite(latest):
                result.status, result.error = "no_data", f"the latest value is {value_text(latest)} (not a measurement)"
                return result
            result.value = latest
        return result

    # ------------------------------------------------------------------ other endpoints

    def targets(self, state: str = "active") -> list[dict[str, Any]]:
        """/api/v1/targets: each active target with its job, health, scrape URL and last error."""
        data, _ = self._api("/api/v1/targets", {"state": state})
        out = []
        for target in (data or {}).get("activeTargets", []):
            labels = target.get("labels", {})
            out.append({
                "job": labels.get("job") or target.get("scrapePool"),
                "instance": labels.get("instance"),
                "health": target.get("health"),
                "scrape_url": mask_secrets(target.get("scrapeUrl", ""), self.secrets),
                "last_error": target.get("lastError", ""),
                "labels": labels,
            })
        return out

    def targets_down(self, jobs: list[str] | None = None) -> list[dict[str, Any]]:
        """Targets not "up" (of `jobs`, default: every job), plus one entry per expected job with
        no target at all: an empty job is missing evidence, not a healthy one."""
        targets = self.targets()
        wanted = jobs if jobs is not None else (self.settings.expected_jobs or None)
        down = [t for t in targets if t["health"] != "up" and (wanted is None or t["job"] in wanted)]
        for job in wanted or []:
            if not any(t["job"] == job for t in targets):
                down.append({"job": job, "instance": None, "health": "missing", "scrape_url": "",
                             "last_error": "no target for this job", "labels": {}})
        return down

    def rules(self, kind: str | None = None) -> list[dict[str, Any]]:
        """/api/v1/rules, flattened: each rule with its group, name, type ("alerting" or
        "recording"), query, health, labels and (for alerts) state and duration."""
        params = {"type": {"alerting": "alert", "recording": "record"}[kind]} if kind else None
        data, _ = self._api("/api/v1/rules", params)
        out = []
        for group in (data or {}).get("groups", []):
            for rule in group.get("rules", []):
                out.append({
                    "group": group.get("name"),
                    "file": group.get("file"),
                    "name": rule.get("name"),
                    "type": rule.get("type"),
                    "query": rule.get("query"),
                    "health": rule.get("health"),
                    "last_error": rule.get("lastError", ""),
                    "labels": rule.get("labels", {}),
                    "state": rule.get("state"),
                    "for_s": rule.get("duration"),
                })
        return out

    def alert_rule(self, name: str) -> dict[str, Any] | None:
        """The alerting rule called `name`, or None."""
        for rule in self.rules("alerting"):
            if rule["name"] == name:
                return rule
        return None

    def alerts(self, state: str | None = None) -> list[dict[str, Any]]:
        """/api/v1/alerts: active alerts (pending or firing), optionally of one state."""
        data, _ = self._api("/api/v1/alerts")
        out = []
        for alert in (data or {}).get("alerts", []):
            if state is None or alert.get("state") == state:
                out.append({"name": alert.get("labels", {}).get("alertname"), "state": alert.get("state"),
                            "labels": alert.get("labels", {}), "value": alert.get("value"),
                            "active_at": alert.get("activeAt")})
        return out



def _parse_result(data: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Series as [{labels, samples: [[ts, value], ...]}] from a query's data."""
    if not isinstance(data, dict):
        return [], "an answer without data"
    kind = data.get("resultType")
    result: Any = data.get("result")  # a malformed one (None, a number) is caught below
    try:
        if kind == "scalar":
            return [{"labels": {}, "samples": [_sample(result)]}], None
        if kind == "vector":
            return [{"labels": dict(r.get("metric", {})), "samples": [_sample(r["value"])]} for r in result], None
        if kind == "matrix":
            return [{"labels": dict(r.get("metric", {})), "samples": [_sample(p) for p in r["values"]]}
                    for r in result], None
    except (KeyError, TypeError, ValueError) as error:
        return [], f"a malformed {kind} result ({type(error).__name__})"
    return [], f"a result of type {kind!r}, not a number"


def _labels_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return "the series"
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
