"""The threshold grammar: parsing, formatting (round trip), errors, and the pure judgement."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from property_budget import examples

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.thresholds import (
    AGGREGATIONS,
    ERROR,
    FAIL,
    NO_DATA,
    OPERATORS,
    PASS,
    TemplateError,
    Threshold,
    build_query,
    evaluate,
    format_threshold,
    judge,
    parse_threshold,
)


def test_examples_from_the_issue():
    t = parse_threshold("error_rate < 0.1% over 10m")
    assert (t.metric, t.op, t.number, t.unit, t.window) == ("error_rate", "<", 0.1, "%", "10m")
    assert t.value == pytest.approx(0.001) and t.window_seconds == 600
    p95 = parse_threshold("p95(latency_ms) < 500 over 10m")
    assert p95.aggregation == "p95" and p95.metric == "latency_ms" and p95.value == 500
    pay = parse_threshold('payment_success_rate{region="eu",tier!~"free|trial"} > 95% over 15m')
    assert pay.labels == (("region", "=", "eu"), ("tier", "!~", "free|trial"))
    assert pay.value == 0.95
    assert parse_threshold("p99(latency) <= 0.5s for 3 consecutive").consecutive == 3
    assert parse_threshold("latency < 250ms").value == 0.25
    assert parse_threshold("queue_depth>=-1.5e3 over 2h").value == -1500


@pytest.mark.parametrize("text, column, expected, found", [
    ("error_rate ~ 5", 12, "an operator (<, <=, >, >=, ==, !=)", "'~'"),
    ("error_rate < ", 14, "a number", "the end of the expression"),
    ("p96(x) < 3", 1, "an aggregation", "'p96'"),
    ("x < 5 over 10", 14, "a window unit", "the end of the expression"),
    ("x < 5 over 10y", 12, "a window such as 30s", "'10y'"),
    ("x < 5abc", 5, "a number", "'5abc'"),
    ('x{a=b} < 1', 5, "a quoted label value", "'b'"),
    ('x{a="1"} < 1 over 5m for 0 consecutive', 26, "at least 1", "'0'"),
    ("x < 5 bananas", 7, "the end of the expression", "'bananas'"),
    ("", 1, "a threshold expression", "the end of the expression"),
    ('x{a="1} < 1', 5, "a quoted label value", "a string without its closing quote"),
    ("p95(x < 3", 7, "')' closing the aggregation", "'<'"),
    ("x = 3", 3, "an operator", "'='"),
])
def test_malformed_expressions_name_file_key_and_column(text, column, expected, found):
    with pytest.raises(ConfigError) as info:
        parse_threshold(text, "prod.toml", "rollout.go_criteria[0]")
    error = info.value
    assert error.file == "prod.toml" and error.key == "rollout.go_criteria[0]"
    assert f"at column {column}" in error.expected and expected in error.expected
    assert error.found == found


# --- hypothesis: round trip and robustness

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
label_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).map(lambda x: x + 0.0)
thresholds = st.builds(
    Threshold,
    metric=names,
    op=st.sampled_from(OPERATORS),
    number=numbers,
    unit=st.sampled_from([None, "%", "ms", "s"]),
    aggregation=st.sampled_from([None, *AGGREGATIONS]),
    labels=st.lists(st.tuples(names, st.sampled_from(["=", "!=", "=~", "!~"]), label_values), max_size=3).map(tuple),
    window=st.one_of(st.none(), st.builds(lambda n, u: f"{n}{u}", st.integers(1, 999), st.sampled_from("smhd"))),
    consecutive=st.one_of(st.none(), st.integers(1, 500)),
)


@given(thresholds)
@settings(max_examples=examples(300))
def test_format_round_trips(threshold):
    text = format_threshold(threshold)
    assert parse_threshold(text) == threshold
    assert format_threshold(parse_threshold(text)) == text


@given(st.text(max_size=60))
@settings(max_examples=examples(500))
def test_any_text_parses_or_gives_a_config_error(text):
    try:
        parse_threshold(text, "f.toml", "k")
    except ConfigError as error:
        assert "at column" in error.expected and error.file == "f.toml" and error.key == "k"


@given(thresholds, st.data())
@settings(max_examples=examples(300))
def test_mutated_expressions_parse_or_give_a_config_error(threshold, data):
    text = format_threshold(threshold)
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.text(alphabet='<>=!~%(){},"\\ 0123456789.-msxover', max_size=3))
    cut = data.draw(st.integers(0, 3))
    mutated = text[:position] + insert + text[position + cut:]
    try:
        parse_threshold(mutated, "f.toml", "k")
    except ConfigError as error:
        column = int(error.expected.rsplit("at column ", 1)[1])
        assert 1 <= column <= len(mutated) + 1


# --- PromQL building


TEMPLATES = {
    "error_rate": 'sum(rate(errors_total{{labels}}[{window}])) / sum(rate(requests_total{{labels}}[{window}]))',
    "latency": "histogram_quantile({quantile}, sum by (le) (rate(duration_seconds_bucket{{labels}}[{window}])))",
    "depth": "queue_depth",
    "requests": "requests_total{job=\"api\",{labels}}",
}


def q(text: str, default_window: str = "5m") -> str:
    t = parse_threshold(text)
    return build_query(t, TEMPLATES[t.metric], default_window, "15s")


def test_window_labels_and_quantile_placeholders():
    assert q('error_rate{route="/pay"} < 1% over 10m') == (
        'sum(rate(errors_total{route="/pay"}[10m])) / sum(rate(requests_total{route="/pay"}[10m]))')
    assert q("error_rate < 1%") == "sum(rate(errors_total{}[5m])) / sum(rate(requests_total{}[5m]))"
    assert q("p95(latency) < 500ms over 10m").startswith("histogram_quantile(0.95, ")
    assert q("p99(depth) < 5 over 1h") == "quantile_over_time(0.99, queue_depth[1h])"
    assert q("max(depth) < 5 over 1h") == "max_over_time(queue_depth[1h])"
    assert q('count(requests{code="500"}) < 5 over 1h') == 'increase(requests_total{job="api",code="500"}[1h])'
    assert q("avg(error_rate) < 1% over 10m") == (
        "avg_over_time((sum(rate(errors_total{}[10m])) / sum(rate(requests_total{}[10m])))[10m:15s])")


def test_templates_that_cannot_express_the_threshold_are_errors():
    with pytest.raises(TemplateError, match="no {labels} placeholder"):
        q('depth{queue="x"} < 5')
    with pytest.raises(TemplateError, match="needs a quantile"):
        q("latency < 500ms")
    with pytest.raises(TemplateError, match="computes a quantile"):
        q("avg(latency) < 500ms")


# --- the pure judgement


def t(text: str) -> Threshold:
    return parse_threshold(text)


def test_judge_criterion_all_series_must_pass_and_reports_the_worst():
    series = [({"svc": "a"}, [0.001]), ({"svc": "b"}, [0.02])]
    status, measured, reason, labels = judge(t("x < 1%"), series, mode="criterion", points="last", min_samples=1)
    assert (status, measured, labels) == (FAIL, 0.02, {"svc": "b"})
    status, measured, _, _ = judge(t("x < 5%"), series, mode="criterion", points="last", min_samples=1)
    assert (status, measured) == (PASS, 0.02)


def test_judge_trigger_fires_on_any_series():
    series = [({"svc": "a"}, [0.001]), ({"svc": "b"}, [0.2])]
    status, measured, reason, labels = judge(t("x > 5%"), series, mode="trigger", points="last", min_samples=1)
    assert (status, measured, labels) == (FAIL, 0.2, {"svc": "b"}) and "fired" in reason
    status, _, _, _ = judge(t("x > 50%"), series, mode="trigger", points="last", min_samples=1)
    assert status == PASS


def test_judge_no_data_and_too_few_samples():
    assert judge(t("x < 1"), [], mode="criterion", points="last", min_samples=1)[0] == NO_DATA
    assert judge(t("x < 1"), [({}, [])], mode="criterion", points="last", min_samples=1)[0] == NO_DATA
    status, _, reason, _ = judge(t("x < 1"), [({}, [0.1, 0.2])], mode="criterion", points="all", min_samples=3)
    assert status == NO_DATA and "fewer than the 3 asked for" in reason


def test_judge_consecutive():
    criterion = t("x < 10 for 3 consecutive")
    assert judge(criterion, [({}, [50, 1, 2, 3])], mode="criterion", points="consecutive", min_samples=1)[0] == PASS
    assert judge(criterion, [({}, [1, 50, 2, 3])], mode="criterion", points="consecutive", min_samples=1)[0] == FAIL
    assert judge(criterion, [({}, [1, 2])], mode="criterion", points="consecutive", min_samples=1)[0] == NO_DATA
    trigger = t("x > 10 for 3 consecutive")
    assert judge(trigger, [({}, [50, 50, 1])], mode="trigger", points="consecutive", min_samples=1)[0] == PASS
    assert judge(trigger, [({}, [1, 50, 50, 50])], mode="trigger", points="consecutive", min_samples=1)[0] == FAIL


@given(st.sampled_from(OPERATORS), st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_and_infinities_never_hold(op, value):
    assert not parse_threshold(f"x {op} 0").holds(value)


class _FakeProbe:
    """Stands in for Prometheus only in this unit test of evaluate()'s plumbing; the real
    server is used in test_rollout.py."""

    def __init__(self, result):
        self.result = result

    def query_range(self, *args, **kwargs):
        return self.result


def test_evaluate_latest_nan_is_no_data_and_errors_are_errors():
    from pytest_launch.probes.prometheus import QueryResult

    nan = QueryResult("q", "ok", series=[{"labels": {}, "samples": [[1.0, 0.1], [2.0, math.nan]]}], sample_count=2)
    result = evaluate(t("x < 1"), _FakeProbe(nan), {"x": "x"}, now=2.0, step="1s")
    assert result.status == NO_DATA and "NaN" in result.reason and result.measured is None
    broken = QueryResult("q", "error", error="bad_data: parse error")
    result = evaluate(t("x < 1"), _FakeProbe(broken), {"x": "x"}, now=2.0)
    assert result.status == ERROR and "parse error" in result.reason
    assert evaluate(t("y < 1"), _FakeProbe(broken), {"x": "x"}).status == ERROR
