"""Threshold expressions (PRODUCT §4, issue 6): a small grammar, its PromQL, and its evaluation.

Grammar (a hand-written tokenizer and recursive-descent parser; never `eval`)::

    threshold   := metric_ref  op  number [unit]  ["over" window]  ["for" integer "consecutive"]
    metric_ref  := aggregation "(" metric [labels] ")"  |  metric [labels]
    aggregation := p50 | p90 | p95 | p99 | avg | min | max | rate | count
    labels      := "{" [ matcher ("," matcher)* [","] ] "}"
    matcher     := name ("=" | "!=" | "=~" | "!~") "quoted string"
    op          := "<" | "<=" | ">" | ">=" | "==" | "!="
    number      := ["-"] digits ["." digits] [("e"|"E") ["+"|"-"] digits]
    unit        := "%" (divides by 100) | "ms" (divides by 1000: seconds) | "s"
    window      := integer ("s" | "m" | "h" | "d")

Examples: ``error_rate < 0.1% over 10m``, ``p95(latency) < 500ms over 10m``,
``payment_success_rate{region="eu"} > 95% over 15m``, ``queue_depth < 100 for 3 consecutive``.

Each metric name maps to a PromQL template in the environment file ([rollout].metrics, then
[prometheus].queries). Placeholders are replaced literally (PromQL's own braces are left alone):

- ``{window}``: the expression's window (``over 10m`` -> ``10m``), or the default window.
- ``{labels}``: the expression's label matchers, comma-separated, without braces
  (``region="eu"``); empty when there are none. Write ``metric{job="api",{labels}}`` or
  ``metric{{labels}}`` (PromQL accepts the trailing comma and the empty ``{}``). An expression
  with labels against a template without ``{labels}`` is an ERROR, never a silently wider query.
- ``{quantile}``: 0.5, 0.9, 0.95 or 0.99 for p50..p99, for templates that compute a quantile
  themselves (``histogram_quantile({quantile}, sum by (le) (rate(x_bucket[{window}])))``).

An aggregation the template does not handle itself wraps it over the window:
pNN -> ``quantile_over_time``, avg/min/max -> ``*_over_time``, rate -> ``rate``,
count -> ``increase`` (events in the window). A plain selector is wrapped as ``f(sel[10m])``,
anything else as a subquery ``f((query)[10m:step])``.

Evaluation (``evaluate``) always uses a range query ending now, so that the number of
measurements is known:

- a windowed query (a ``{window}`` placeholder or an aggregation) is evaluated every ``step``
  over the window; the latest point is the measured value and the number of points is the
  sample count, which must reach ``min_samples``;
- a query without a window but with ``over W`` (a gauge) must meet the condition at every
  point of the window;
- ``for N consecutive`` needs the last N points (one every ``step``) to meet the condition;
  fewer than N points is NO_DATA.

No data, NaN, +-Inf, fewer samples than asked for, and query errors are NO_DATA or ERROR:
never PASS. Several series: a criterion passes only when every series passes (the worst one
is reported); a rollback trigger fires when any series meets its condition.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pytest_launch.core.errors import ConfigError


def value_text(value: float) -> str:
    """NaN, +Inf and -Inf as Prometheus writes them; other numbers briefly."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"{value:.6g}"

AGGREGATIONS: tuple[str, ...] = ("p50", "p90", "p95", "p99", "avg", "min", "max", "rate", "count")
QUANTILES: dict[str, float] = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
OPERATORS: tuple[str, ...] = ("<", "<=", ">", ">=", "==", "!=")
MATCH_OPERATORS: tuple[str, ...] = ("=", "!=", "=~", "!~")
UNITS: dict[str, float] = {"%": 100.0, "ms": 1000.0, "s": 1.0}  # divisors to the base unit
WINDOW_UNITS: dict[str, int] = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_OPS_TEXT = "an operator (<, <=, >, >=, ==, !=)"
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}

Status = Literal["PASS", "FAIL", "NO_DATA", "ERROR"]
PASS: Status = "PASS"
FAIL: Status = "FAIL"
NO_DATA: Status = "NO_DATA"
ERROR: Status = "ERROR"


# --------------------------------------------------------------------------- the expression


@dataclasses.dataclass(frozen=True)
class Threshold:
    """One parsed threshold expression."""

    metric: str
    op: str
    number: float
    unit: str | None = None
    aggregation: str | None = None
    labels: tuple[tuple[str, str, str], ...] = ()  # (name, match operator, value)
    window: str | None = None  # "10m"
    consecutive: int | None = None

    @property
    def value(self) -> float:
        """The threshold in the metric's base unit (ratios for %, seconds for ms and s)."""
        return self.number / UNITS[self.unit] if self.unit else self.number

    @property
    def window_seconds(self) -> int | None:
        return window_seconds(self.window) if self.window else None

    @property
    def threshold_text(self) -> str:
        return _number_text(self.number) + (self.unit or "")

    def holds(self, measured: float) -> bool:
        """Whether `measured` meets `<op> <value>` (never for NaN or infinities)."""
        if not math.isfinite(measured):
            return False
        return _COMPARE[self.op](measured, self.value)

    def format(self) -> str:
        return format_threshold(self)

    def __str__(self) -> str:
        return format_threshold(self)


def window_seconds(window: str) -> int:
    """'10m' -> 600."""
    return int(window[:-1]) * WINDOW_UNITS[window[-1]]


def _number_text(number: float) -> str:
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def format_labels(labels: tuple[tuple[str, str, str], ...]) -> str:
    """The matchers as PromQL writes them, comma-separated, without braces."""
    return ",".join(f"{name}{op}{_quote(value)}" for name, op, value in labels)


def format_threshold(t: Threshold) -> str:
    """The canonical text of a threshold; `parse_threshold(format_threshold(t)) == t`."""
    ref = t.metric
    if t.labels:
        ref += "{" + format_labels(t.labels) + "}"
    if t.aggregation:
        ref = f"{t.aggregation}({ref})"
    text = f"{ref} {t.op} {t.threshold_text}"
    if t.window:
        text += f" over {t.window}"
    if t.consecutive is not None:
        text += f" for {t.consecutive} consecutive"
    return text


# --------------------------------------------------------------------------- tokenizer

_TOKEN_SPEC = [
    ("SPACE", r"[ \t]+"),
    ("NUMBER", r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z_0-9.])|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?=ms|s|m|h|d|%)"),
    ("GLUED", r"\d[A-Za-z0-9_.]*"),  # a number glued to letters it cannot take: '10y', '5abc'
    ("NAME", r"[A-Za-z_][A-Za-z0-9_:]*"),
    ("STRING", r'"(?:[^"\\\n]|\\.)*"'),
    ("OP", r"<=|>=|==|!=|=~|!~|<|>|="),
    ("PUNCT", r"[(){},%\-]"),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _TOKEN_SPEC))


@dataclasses.dataclass
class _Token:
    kind: str  # NUMBER NAME STRING OP PUNCT END
    text: str
    column: int  # 1-based


class _Parser:
    def __init__(self, text: str, file: str, key: str) -> None:
        self.text = text
        self.file = file
        self.key = key
        self.tokens = self._tokenize()
        self.pos = 0

    # -- errors
    def error(self, expected: str, token: _Token | None = None) -> ConfigError:
        token = token or self.peek()
        found = "the end of the expression" if token.kind == "END" else repr(token.text)
        if token.kind == "BAD" and token.text == '"':
            found = "a string without its closing quote"
        return ConfigError(self.file, self.key, f"{expected} at column {token.column}", found,
                           hint=f"in {self.text!r}")

    def _tokenize(self) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        while pos < len(self.text):
            match = _TOKEN_RE.match(self.text, pos)
            if match is None:  # the parser says what it expected here
                tokens.append(_Token("BAD", self.text[pos], pos + 1))
                pos += 1
                continue
            kind = match.lastgroup or ""
            if kind != "SPACE":
                tokens.append(_Token(kind, match.group(), pos + 1))
            pos = match.end()
        tokens.append(_Token("END", "", len(self.text) + 1))
        return tokens

    # -- cursor
    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def expect(self, kind: str, text: str | None, expected: str) -> _Token:
        token = self.peek()
        if token.kind != kind or (text is not None and token.text != text):
            raise self.error(expected)
        return self.advance()

    # -- grammar
    def parse(self) -> Threshold:
        if self.peek().kind == "END":
            raise self.error("a threshold expression such as 'error_rate < 0.1% over 10m'")
        aggregation = None
        if self.peek().kind == "NAME" and self.peek(1).text == "(" and self.peek(1).kind == "PUNCT":
            name = self.peek()
            if name.text not in AGGREGATIONS:
                raise self.error("an aggregation (" + ", ".join(AGGREGATIONS) + ")")
            aggregation = self.advance().text
            self.advance()  # (
        metric = self.expect("NAME", None, "a metric name").text
        labels: tuple[tuple[str, str, str], ...] = ()
        if self.peek().text == "{" and self.peek().kind == "PUNCT":
            labels = self.parse_labels()
        if aggregation:
            self.expect("PUNCT", ")", "')' closing the aggregation")
        op_token = self.peek()
        if op_token.kind != "OP" or op_token.text not in OPERATORS:
            raise self.error(_OPS_TEXT)
        op = self.advance().text
        number = self.parse_number()
        unit = None
        token = self.peek()
        if (token.kind == "PUNCT" and token.text == "%") or (token.kind == "NAME" and token.text in ("ms", "s")):
            unit = self.advance().text
        window = None
        if self.peek().kind == "NAME" and self.peek().text == "over":
            self.advance()
            window = self.parse_window()
        consecutive = None
        if self.peek().kind == "NAME" and self.peek().text == "for":
            self.advance()
            count_token = self.peek()
            if count_token.kind != "NUMBER" or not count_token.text.isdigit():
                raise self.error("a whole number of samples after 'for'")
            consecutive = int(self.advance().text)
            if consecutive < 1:
                raise self.error("at least 1 consecutive sample", count_token)
            self.expect("NAME", "consecutive", "the word 'consecutive'")
        if self.peek().kind != "END":
            what = []
            if unit is None and window is None and consecutive is None:
                what.append("a unit (%, ms, s)")
            if window is None and consecutive is None:
                what.append("'over <window>'")
            if consecutive is None:
                what.append("'for <n> consecutive'")
            what.append("the end of the expression")
            raise self.error(", ".join(what[:-1]) + " or " + what[-1] if len(what) > 1 else what[0])
        return Threshold(metric=metric, op=op, number=number, unit=unit, aggregation=aggregation,
                         labels=labels, window=window, consecutive=consecutive)

    def parse_labels(self) -> tuple[tuple[str, str, str], ...]:
        self.advance()  # {
        labels: list[tuple[str, str, str]] = []
        while True:
            token = self.peek()
            if token.kind == "PUNCT" and token.text == "}":
                self.advance()
                return tuple(labels)
            name = self.expect("NAME", None, "a label name or '}'").text
            op_token = self.peek()
            if op_token.kind != "OP" or op_token.text not in MATCH_OPERATORS:
                raise self.error("a label matcher (=, !=, =~, !~)")
            match_op = self.advance().text
            value_token = self.expect("STRING", None, 'a quoted label value such as "eu"')
            labels.append((name, match_op, _unquote(value_token.text)))
            token = self.peek()
            if token.kind == "PUNCT" and token.text == ",":
                self.advance()
                continue
            if not (token.kind == "PUNCT" and token.text == "}"):
                raise self.error("',' or '}' in the label list")

    def parse_number(self) -> float:
        negative = False
        token = self.peek()
        if token.kind == "PUNCT" and token.text == "-":
            negative = True
            self.advance()
        token = self.peek()
        if token.kind != "NUMBER":
            raise self.error("a number")
        self.advance()
        value = float(token.text)
        if not math.isfinite(value):
            raise self.error("a finite number", token)
        value = -value if negative else value
        return value + 0.0  # no negative zero: -0 and 0 are the same threshold

    def parse_window(self) -> str:
        token = self.peek()
        if token.kind != "NUMBER" or not token.text.isdigit():
            raise self.error("a window such as 30s, 10m, 2h or 1d")
        self.advance()
        unit = self.peek()
        if unit.kind != "NAME" or unit.text not in WINDOW_UNITS or unit.column != token.column + len(token.text):
            raise self.error("a window unit (s, m, h, d) right after the number", unit)
        self.advance()
        amount = int(token.text)
        if amount < 1:
            raise self.error("a window longer than zero", token)
        return f"{amount}{unit.text}"


def _unquote(text: str) -> str:
    body = text[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_threshold(text: str, file: str = "<threshold>", key: str = "threshold") -> Threshold:
    """Parse one threshold expression; a malformed one raises ConfigError naming file, key and
    column."""
    if not isinstance(text, str):
        raise ConfigError(file, key, "a threshold expression (a string)", type(text).__name__)
    return _Parser(text, file, key).parse()


# --------------------------------------------------------------------------- PromQL


class TemplateError(ValueError):
    """A threshold that its metric's PromQL template cannot express (an ERROR result)."""


_PLAIN_SELECTOR = re.compile(r"\s*[A-Za-z_:][A-Za-z0-9_:]*\s*(\{[^{}]*\})?\s*")
_OVER_TIME = {"avg": "avg_over_time", "min": "min_over_time", "max": "max_over_time",
              "rate": "rate", "count": "increase"}


def build_query(threshold: Threshold, template: str, default_window: str, step: str) -> str:
    """The PromQL for `threshold` from its metric's template (see the module docstring)."""
    window = threshold.window or default_window
    query = template
    if threshold.labels:
        if "{labels}" not in query:
            raise TemplateError(
                f"the query of {threshold.metric!r} has no {{labels}} placeholder, so the labels "
                f"{{{format_labels(threshold.labels)}}} cannot be applied: {template}")
    query = query.replace("{labels}", format_labels(threshold.labels))
    query = query.replace("{window}", window)
    agg = threshold.aggregation
    if agg is None:
        if "{quantile}" in template:
            raise TemplateError(f"the query of {threshold.metric!r} needs a quantile: write "
                                f"p50/p90/p95/p99({threshold.metric})")
        return query
    if agg in QUANTILES and "{quantile}" in template:
        return query.replace("{quantile}", repr(QUANTILES[agg]))
    if "{quantile}" in template:
        raise TemplateError(f"the query of {threshold.metric!r} computes a quantile; {agg}() "
                            f"cannot be applied to it")
    if _PLAIN_SELECTOR.fullmatch(query):
        ranged = f"{query.strip()}[{window}]"
    else:
        ranged = f"({query})[{window}:{step}]"
    if agg in QUANTILES:
        return f"quantile_over_time({QUANTILES[agg]!r}, {ranged})"
    return f"{_OVER_TIME[agg]}({ranged})"


def is_windowed(threshold: Threshold, template: str) -> bool:
    """Whether the built query already aggregates over a window."""
    return threshold.aggregation is not None or "{window}" in template


# --------------------------------------------------------------------------- evaluation


@dataclasses.dataclass
class ThresholdResult:
    """The outcome of one threshold evaluated against Prometheus."""

    expression: str
    status: Status
    measured: float | None
    threshold: float
    threshold_text: str
    query: str | None
    window: str | None
    reason: str
    mode: str = "criterion"  # "criterion" (must hold) | "trigger" (fires when it holds)
    sample_count: int = 0
    series_count: int = 0
    labels: dict[str, str] | None = None  # the series that decided

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def evidence(self) -> dict[str, Any]:
        """Built-in types only, for the evidence recorder and the report."""
        return {
            "expression": self.expression,
            "mode": self.mode,
            "query": self.query,
            "window": self.window,
            "measured": self.measured,
            "threshold": self.threshold,
            "threshold_text": self.threshold_text,
            "result": self.status,
            "reason": self.reason,
            "samples": self.sample_count,
            "series": self.series_count,
            "labels": dict(self.labels) if self.labels is not None else None,
        }


def _step_seconds(step: str) -> float:
    return float(window_seconds(step)) if step[-1] in WINDOW_UNITS and step[:-1].isdigit() else float(step)


def judge(threshold: Threshold, series: list[tuple[dict[str, str], list[float]]], *, mode: str,
          points: str, min_samples: int) -> tuple[Status, float | None, str, dict[str, str] | None]:
    """The pure decision over measured points.

    `series` holds (labels, finite values oldest first). `points` says which values count:
    "last" (a windowed query: the latest value), "all" (a gauge over a window: every value) or
    "consecutive" (the last `threshold.consecutive` values).
    Returns (status, measured, reason, labels of the deciding series)."""
    expr = format_threshold(threshold)
    if not series:
        return NO_DATA, None, "the query returned no series", None
    need = threshold.consecutive if points == "consecutive" else min_samples
    for labels, values in series:
        if len(values) < max(need or 0, 1):
            return (NO_DATA, values[-1] if values else None,
                    f"{len(values)} samples for {_labels_text(labels)}, fewer than the {need} asked for",
                    labels)
    # which values count, per series
    considered = []
    for labels, values in series:
        if points == "last":
            chosen = values[-1:]
        elif points == "consecutive":
            chosen = values[-(threshold.consecutive or 1):]
        else:
            chosen = values
        considered.append((labels, chosen))
    worst = _worst_first(threshold.op)
    if mode == "criterion":
        for labels, chosen in considered:
            bad = [v for v in chosen if not threshold.holds(v)]
            if bad:
                measured = worst(bad)
                return FAIL, measured, (f"{_labels_text(labels)}: measured {_num(measured)}, "
                                        f"expected {threshold.op} {threshold.threshold_text}"), labels
        labels, measured = _extreme(considered, worst)
        return PASS, measured, f"every measurement meets {expr}", labels
    # trigger: fires when the condition holds (at any point; for N consecutive: at the last N)
    for labels, chosen in considered:
        meeting = [v for v in chosen if threshold.holds(v)]
        fired = (len(meeting) == len(chosen)) if points == "consecutive" else bool(meeting)
        if fired:
            measured = _pick_firing(threshold.op, meeting)
            return FAIL, measured, (f"rollback trigger fired: {_labels_text(labels)} measured "
                                    f"{_num(measured)} {threshold.op} {threshold.threshold_text}"), labels
    labels, measured = _extreme(considered, _firing_side(threshold.op))
    return PASS, measured, f"not fired: no measurement meets {expr}", labels


def _worst_first(op: str) -> Callable[[list[float]], float]:
    """For a criterion, the measurement furthest on the wrong side."""
    if op in ("<", "<="):
        return max
    if op in (">", ">="):
        return min
    return lambda values: values[-1]


def _firing_side(op: str) -> Callable[[list[float]], float]:
    if op in ("<", "<="):
        return min
    if op in (">", ">="):
        return max
    return lambda values: values[-1]


def _pick_firing(op: str, values: list[float]) -> float:
    return _firing_side(op)(values)


def _extreme(considered: list[tuple[dict[str, str], list[float]]],
             pick: Callable[[list[float]], float]) -> tuple[dict[str, str], float]:
    per_series = [(labels, pick(values)) for labels, values in considered]
    best = pick([value for _, value in per_series])
    for labels, value in per_series:
        if value == best:
            return labels, value
    return per_series[0]  # pragma: no cover


def _labels_text(labels: Mapping[str, str]) -> str:
    if not labels:
        return "the series"
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _num(value: float) -> str:
    return f"{value:.6g}"


def evaluate(threshold: Threshold, probe: Any, metrics: Mapping[str, str], *, mode: str = "criterion",
             default_window: str = "5m", step: str = "15s", min_samples: int = 1,
             now: float | None = None) -> ThresholdResult:
    """Evaluate `threshold` against Prometheus through `probe` (a PrometheusProbe).

    `metrics` maps metric names to PromQL templates. Never raises for a server or query
    problem: those are ERROR or NO_DATA results with the reason."""
    expr = format_threshold(threshold)
    result_of = functools.partial(ThresholdResult, expression=expr, threshold=threshold.value,
                                  threshold_text=threshold.threshold_text, window=threshold.window or None,
                                  mode=mode)
    template = metrics.get(threshold.metric)
    if template is None:
        known = ", ".join(sorted(metrics)) or "none"
        return result_of(status=ERROR, measured=None, query=None,
                               reason=f"no PromQL query for the metric {threshold.metric!r} "
                                      f"(known metrics: {known})")
    try:
        query = build_query(threshold, template, default_window, step)
    except TemplateError as exc:
        return result_of(status=ERROR, measured=None, query=None, reason=str(exc))
    windowed = is_windowed(threshold, template)
    step_s = _step_seconds(step)
    end = time.time() if now is None else now
    if threshold.consecutive is not None:
        points = "consecutive"
        start = end - (threshold.consecutive - 1) * step_s
        need = threshold.consecutive
    elif windowed:
        points = "last"
        start = end - window_seconds(threshold.window or default_window)
        need = min_samples
    elif threshold.window:
        points = "all"
        start = end - window_seconds(threshold.window)
        need = min_samples
    else:
        points = "last"
        start = end - max(step_s, 1.0)  # an instant reading: the latest point
        need = 1
    result_of = functools.partial(result_of, window=threshold.window or (default_window if windowed else None))
    result = probe.query_range(query, start=start, end=end, step=step_s, min_samples=need)
    if result.status == "error":
        return result_of(status=ERROR, measured=None, query=query, reason=result.error or "query failed",
                               series_count=len(result.series))
    series = [(s["labels"], [v for _, v in s["samples"] if math.isfinite(v)]) for s in result.series]
    if result.status == "no_data" and not series:
        return result_of(status=NO_DATA, measured=None, query=query,
                               reason=result.error or "the query returned no series")
    if points != "all":
        # the values that decide must be measurements: NaN or +-Inf there is no data, not a pass
        # (for "all", a NaN point is simply not counted towards min_samples)
        tail = 1 if points == "last" else need
        for s in result.series:
            bad = [v for _, v in s["samples"][-tail:] if not math.isfinite(v)]
            if bad:
                return result_of(status=NO_DATA, measured=None, query=query,
                                       reason=f"{_labels_text(s['labels'])} is {value_text(bad[-1])} (not a measurement)",
                                       sample_count=result.sample_count, series_count=len(result.series),
                                       labels=s["labels"])
    status, measured, reason, labels = judge(threshold, series, mode=mode, points=points, min_samples=need)
    if status != NO_DATA and points == "last" and series:
        stale = _stale_series(result.series, end, step_s)
        if stale is not None:
            status, reason, labels = NO_DATA, stale[1], stale[0]
    return result_of(status=status, measured=measured, query=query, reason=reason,
                           sample_count=sum(len(v) for _, v in series), series_count=len(series),
                           labels=labels)


def _stale_series(series: list[dict[str, Any]], end: float, step_s: float) -> tuple[dict[str, str], str] | None:
    """A series whose latest point is older than two steps is not a current measurement."""
    for s in series:
        if not s["samples"]:
            continue
        last_ts = s["samples"][-1][0]
        if last_ts < end - 2 * step_s - 1:
            return s["labels"], (f"{_labels_text(s['labels'])} has no point in the last "
                                 f"{_num(end - last_ts)}s (stale)")
    return None
