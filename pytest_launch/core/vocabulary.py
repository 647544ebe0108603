"""The vocabulary of PRODUCT §2, as data: phases, categories, severities and the other markers.

The plugin registers every marker from here, so `pytest --markers` lists them and
`--strict-markers` accepts them.
"""

from __future__ import annotations

from typing import Literal

PHASES: dict[str, str] = {
    "t_minus_7": "pre-launch validation, a week before launch",
    "t_0": "launch day: the morning checks, the traffic steps and the first hours",
    "t_plus_1": "post-launch validation, the day after",
}

CATEGORIES: dict[str, str] = {
    "infra": "infrastructure: clusters, DNS, TLS, load balancers, CDN, backups",
    "security": "security: TLS settings, headers, rate limits, access, secrets",
    "application": "application: smoke tests, health, feature flags, providers",
    "monitoring": "monitoring: metrics, alerts, dashboards, on-call",
    "data": "data: migrations, integrity, backups and restores, replicas",
    "performance": "performance: latency, error rate, availability, capacity",
    "business": "business metrics: registrations, conversions, payments",
    "operational": "operational: alerts resolved, logs reviewed, documentation",
}

# The five words Allure uses, most severe first.
SEVERITIES: dict[str, str] = {
    "blocker": "blocks the launch when it fails",
    "critical": "blocks the launch when it fails (by default policy)",
    "normal": "a risk to accept when it fails",
    "minor": "a small risk to accept when it fails",
    "trivial": "cosmetic",
}

# The same words as types, for settings that name a severity or category (the Table loader
# validates a Literal's values); tests/test_architecture.py holds them equal to the keys above.
Severity = Literal["blocker", "critical", "normal", "minor", "trivial"]
Category = Literal["infra", "security", "application", "monitoring", "data", "performance", "business", "operational"]

DEFAULT_BLOCKING_SEVERITIES: tuple[str, ...] = ("blocker", "critical")

# Markers that take an argument or flag a behaviour.
OTHER_MARKERS: dict[str, str] = {
    "owner(name)": "the team or person who must act when this check fails",
    "checklist(item_id)": "links the check to a checklist item, whose phase, category, "
    "severity and owner it inherits",
    "destructive": "changes state or load (bursts, synthetic alerts, restores); refused "
    "against production unless --launch-allow-destructive is given",
    "rollback_trigger": "during a --launch-stage run, a failure means roll back, not just hold",
    "env_tables(name, ...)": "the environment tables the check reads beyond those of the probe fixtures it "
    "uses (launch_http: [http], ...): how `launch plan` tells whether the environment configures them",
}

LABEL_KINDS: dict[str, dict[str, str]] = {
    "phase": PHASES,
    "category": CATEGORIES,
    "severity": SEVERITIES,
}


def marker_lines() -> list[str]:
    """The `markers` ini lines that register the whole vocabulary."""
    lines = [f"{name}: phase: {text}" for name, text in PHASES.items()]
    lines += [f"{name}: category: {text}" for name, text in CATEGORIES.items()]
    lines += [f"{name}: severity: {text}" for name, text in SEVERITIES.items()]
    lines += [f"{name}: {text}" for name, text in OTHER_MARKERS.items()]
    return lines


def kind_of(marker_name: str) -> str | None:
    """'phase', 'category' or 'severity' for a vocabulary word, None for anything else."""
    for kind, words in LABEL_KINDS.items():
        if marker_name in words:
            return kind
    return None


# how `launch plan` and `pytest --launch-plan` print the plan (here, not in core.plan: the option
# is registered in every run, the planner loads only in a run that plans)
PLAN_FORMATS: tuple[str, ...] = ("text", "json", "markdown")
