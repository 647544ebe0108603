"""The checks table's one-pass helpers (issue 16) say what the helpers they replace say."""

from __future__ import annotations

import json
import math

import pytest

from pytest_launch.outputs.html import (
    _inline_evidence,
    evidence_is_flat,
    evidence_text,
    short_value,
)

EVIDENCE = [None, "", {}, [], 0, False, True, 3, 2.5, "text", "x" * 400, [1, 2], {"a": None},
            {"measured": 12, "threshold": ">= 30 days", "unit": "days", "host": "api.example"},
            {"threshold": 1, "measured": 0.5}, {"host": "h"}, {"status": 503, "url": "https://h/health"},
            {"a": "y" * 90}, {"a": "y" * 119}, {"a": "y" * 121}, {"a": {"nested": 1}}, {"a": [1, "b"]},
            {f"k{n}": "v" * 30 for n in range(20)}, {"m": float("nan"), "n": float("inf"), "o": -0.0},
            {"big": 10 ** 30, "small": 1e-7, "flag": False, "none": None}, {1: "numeric key"}]


def reference_evidence_text(evidence, limit=320):
    """evidence_text as it was before its fast paths (issue 16), through short_value's JSON."""
    def value_text(value):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                               default=str)
        return text if len(text) <= 120 else text[:119] + "\u2026"

    def clip(text):
        return text if len(text) <= limit else text[: limit - 1] + "\u2026"

    if not isinstance(evidence, dict):
        return clip(f"value={value_text(evidence)}") if evidence not in (None, "") else ""
    first = [k for k in ("measured", "threshold") if k in evidence]
    parts, length = [], 0
    for key in first + [k for k in evidence if k not in first]:
        part = f"{key}={value_text(evidence[key])}"
        parts.append(part)
        length += len(part) + 2
        if length > limit:
            break
    return clip("; ".join(parts))


@pytest.mark.parametrize("evidence", EVIDENCE, ids=range(len(EVIDENCE)))
def test_the_rows_one_pass_evidence_is_the_text_and_flatness_it_replaces(evidence):
    assert evidence_text(evidence) == reference_evidence_text(evidence)
    assert _inline_evidence(evidence) == (evidence_text(evidence), evidence_is_flat(evidence))


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 10 ** 30, 0.1, 1e300, -0.0, 1e16, float("nan"),
                                   float("inf"), [1, None], {"b": 1, "a": 2}])
def test_short_values_without_the_encoder_are_what_json_writes(value):
    expected = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    assert short_value(value) == expected
    if isinstance(value, float) and math.isfinite(value):
        assert short_value(value) == repr(value)
