"""Realistic go-no-go.json documents for the report tests and benchmarks.

`sample_document(n_checks)` builds a document that validates against
pytest_launch/outputs/results.schema.json, shaped like a MusicConnect T-7 run against prod:
checklist items from the seed checklist, checks linked to them (parametrized over hosts when
there are more checks than items), failures with measured-vs-threshold evidence, a waiver, a
sign-off, reasons blocking-first. The verdict follows the product's rules closely enough to
look right; the real verdict always comes from pytest_launch.core.decision.decide().

Run as a script to write one: `python tests/report_samples.py 5000 /tmp/go-no-go.json`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from typing import Any

PHASES = ("t_minus_7", "t_0", "t_plus_1")

# (id, title, phase, category, severity, owner, mode)
CHECKLIST: list[tuple[str, str, str, str, str, str, str]] = [
    ("INF-01", "All Kubernetes clusters healthy across regions", "t_minus_7", "infra", "blocker", "platform", "automated"),
    ("INF-02", "Database replication verified", "t_minus_7", "infra", "critical", "dba", "automated"),
    ("INF-03", "CDN configuration validated", "t_minus_7", "infra", "normal", "platform", "automated"),
    ("INF-04", "SSL certificates valid (>30 days)", "t_minus_7", "infra", "blocker", "platform", "automated"),
    ("INF-05", "DNS records configured correctly", "t_minus_7", "infra", "blocker", "platform", "automated"),
    ("INF-06", "Load balancers tested", "t_minus_7", "infra", "critical", "platform", "automated"),
    ("SEC-01", "Security scan completed (no critical vulnerabilities)", "t_minus_7", "security", "blocker", "security", "manual"),
    ("SEC-02", "Penetration testing completed", "t_minus_7", "security", "critical", "security", "manual"),
    ("SEC-03", "API rate limiting tested", "t_minus_7", "security", "critical", "security", "automated"),
    ("SEC-05", "WAF rules configured", "t_minus_7", "security", "normal", "security", "automated"),
    ("SEC-07", "Access controls audited", "t_minus_7", "security", "critical", "security", "automated"),
    ("APP-01", "All tests passing (unit, integration, e2e)", "t_minus_7", "application", "blocker", "app-team", "automated"),
    ("APP-03", "Feature flags configured", "t_minus_7", "application", "normal", "app-team", "automated"),
    ("APP-06", "Payment processing tested", "t_minus_7", "application", "blocker", "payments", "automated"),
    ("MON-01", "Prometheus metrics collecting", "t_minus_7", "monitoring", "critical", "sre", "automated"),
    ("MON-03", "Alerts configured and tested", "t_minus_7", "monitoring", "critical", "sre", "automated"),
    ("MON-06", "On-call rotation set up", "t_minus_7", "monitoring", "blocker", "sre", "manual"),
    ("MON-07", "Runbooks documented", "t_minus_7", "monitoring", "normal", "sre", "manual"),
    ("DAT-01", "Database migrations completed", "t_minus_7", "data", "blocker", "dba", "automated"),
    ("DAT-03", "Backup/restore tested", "t_minus_7", "data", "critical", "dba", "automated"),
    ("DAT-06", "Search indices built", "t_minus_7", "data", "minor", "search", "automated"),
    ("DAT-07", "Analytics data pipeline tested", "t_minus_7", "data", "trivial", "analytics", "automated"),
    ("T0-04", "Run smoke tests", "t_0", "application", "blocker", "app-team", "automated"),
    ("T0-05", "Verify monitoring alerts", "t_0", "monitoring", "critical", "sre", "automated"),
    ("T0-12", "Check error rates", "t_0", "performance", "blocker", "sre", "automated"),
    ("PERF-01", "Response times within SLA", "t_plus_1", "performance", "critical", "sre", "automated"),
    ("PERF-02", "Error rate < 0.1%", "t_plus_1", "performance", "blocker", "sre", "automated"),
    ("BIZ-04", "Payment success rate", "t_plus_1", "business", "critical", "payments", "automated"),
    ("OPS-02", "Logs reviewed for anomalies", "t_plus_1", "operational", "normal", "sre", "manual"),
    ("OPS-05", "Cost analysis", "t_plus_1", "operational", "trivial", "finance", "automated"),
]

HOSTS = ["api.musicconnect.example", "www.musicconnect.example", "cdn.musicconnect.example",
         "uploads.musicconnect.example", "pay.musicconnect.example", "auth.musicconnect.example"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"]

MODULES = {"infra": "test_infrastructure.py", "security": "test_security.py",
           "application": "test_application.py", "monitoring": "test_monitoring.py",
           "data": "test_data.py", "performance": "test_post_launch.py",
           "business": "test_post_launch.py", "operational": "test_post_launch.py"}

FAILURES = [
    ({"measured": 12, "threshold": ">= 30 days", "unit": "days", "host": "{host}"},
     "certificate for {host} expires in 12 days (threshold: >= 30 days)"),
    ({"measured": "0.42%", "threshold": "error_rate < 0.1% over 10m"},
     "error_rate 0.42% over 10m on {host} (threshold: < 0.1%)"),
    ({"measured": 812, "threshold": "p95(latency_ms) < 500 over 10m", "samples": 600},
     "p95 latency 812 ms on {host} (threshold: < 500 ms)"),
    ({"status": 503, "url": "https://{host}/health"},
     "GET https://{host}/health returned 503 Service Unavailable"),
    ({"expected": "203.0.113.10", "found": "198.51.100.7", "record": "A {host}"},
     "A record of {host} is 198.51.100.7, expected 203.0.113.10"),
    ({"measured": None, "threshold": "rate(http_requests_total[5m]) > 0", "state": "NO_DATA"},
     "no data: the query returned an empty result for {host} (inconclusive evidence)"),
]


def _check_nodeid(item: tuple, index: int, per_item: int) -> str:
    item_id, title, _phase, category, *_ = item
    name = "test_" + item_id.lower().replace("-", "_")
    module = MODULES[category]
    if per_item <= 1:
        return f"readiness/{module}::{name}"
    host = HOSTS[index % len(HOSTS)]
    region = REGIONS[(index // len(HOSTS)) % len(REGIONS)]
    return f"readiness/{module}::{name}[{region}-{host}-{index}]"


def sample_document(
    n_checks: int = 40,
    *,
    seed: int = 7,
    fail_rate: float = 0.03,
    env: str = "prod",
    stage: int | None = None,
    started: dt.datetime | None = None,
    payload: str | None = None,
    rollback: bool = False,
    rollback_steps: list[str] | None = None,
    complete: bool = True,
) -> dict[str, Any]:
    """A results document with `n_checks` automated checks plus the manual items.

    payload: a hostile string (an XSS probe) placed in a test id, a message, an evidence value,
    an owner, a waiver reason and a sign-off evidence link, to test escaping.
    rollback: one rollback_trigger check fails (needs `stage`), verdict ROLLBACK.
    """
    rng = random.Random(seed)
    started = started or dt.datetime(2025, 3, 3, 2, 0, 0, tzinfo=dt.timezone.utc)
    automated = [c for c in CHECKLIST if c[6] == "automated"]
    manual = [c for c in CHECKLIST if c[6] == "manual"]
    per_item = max(1, -(-n_checks // len(automated)))
    blocking_severities = ["blocker", "critical"]
    today = started.date()

    checks: list[dict[str, Any]] = []
    for index in range(n_checks):
        item = automated[index % len(automated)]
        item_id, title, phase, category, severity, owner, _mode = item
        nodeid = _check_nodeid(item, index // len(automated), per_item)
        host = HOSTS[index % len(HOSTS)]
        roll = rng.random()
        outcome = "passed"
        message = ""
        evidence: dict[str, Any] = {"host": host}
        if roll < fail_rate:
            outcome = "failed"
            evidence, message = rng.choice(FAILURES)
            evidence = {k: (v.format(host=host) if isinstance(v, str) else v)
                        for k, v in evidence.items()}
            message = message.format(host=host)
        elif roll < fail_rate * 1.3:
            outcome = "error"
            message = f"ConnectionRefusedError: [Errno 111] connecting to {host}:443 (timeout 5s)"
            evidence = {"host": host, "error": "connection refused"}
        elif roll < fail_rate * 1.5:
            outcome = "skipped"
            message = "skipped: no S3 bucket configured for this environment"
        elif rng.random() < 0.3:
            evidence = {"host": host, "measured": round(rng.uniform(50, 300), 1),
                        "threshold": "p95(latency_ms) < 500 over 10m"}
        checks.append({
            "nodeid": nodeid, "outcome": outcome, "kind": "check", "title": title,
            "phase": phase, "category": category, "severity": severity,
            "severity_defaulted": False, "blocking": severity in blocking_severities,
            "owner": owner, "checklist": item_id, "rollback_trigger": item_id in ("T0-12", "PERF-02"),
            "destructive": item_id == "DAT-03",
            "duration_s": round(rng.uniform(0.01, 3.0), 3), "evidence": evidence,
            "message": message, "waiver": None, "source": None,
        })

    # one check without severity (counts as blocking, the report says it was defaulted)
    if checks:
        checks[-1]["severity"] = None
        checks[-1]["severity_defaulted"] = True
        checks[-1]["blocking"] = True
        checks[-1]["checklist"] = None
        checks[-1]["title"] = None

    if rollback:
        stage = stage if stage is not None else 25
        for check in checks:
            if check["rollback_trigger"]:
                check["outcome"] = "failed"
                check["message"] = "error_rate 6.1% over 5m (rollback trigger: > 5%)"
                check["evidence"] = {"measured": "6.1%", "threshold": "error_rate > 5% over 5m"}
                break

    waiver_target = next((c for c in checks if c["outcome"] == "failed"
                          and not c["blocking"]), None)
    if waiver_target is None:
        waiver_target = next((c for c in checks if c["checklist"] == "INF-03"), None)
        if waiver_target is not None:
            waiver_target.update(outcome="failed", message="cache-control missing on /static",
                                 evidence={"header": "cache-control", "found": None})
    waivers: list[dict[str, Any]] = []
    if waiver_target is not None:
        waiver = {"check": waiver_target["nodeid"], "reason": "CDN vendor fix scheduled for 2025-03-10",
                  "owner": "platform", "approved_by": "cto", "expires": str(today + dt.timedelta(days=14)),
                  "created": str(today - dt.timedelta(days=2))}
        waiver_target["waiver"] = dict(waiver)
        waivers.append({**waiver, "status": "used", "matched": [waiver_target["nodeid"]]})
    waivers.append({"check": "SEC-05", "reason": "WAF rules in monitor mode until launch",
                    "owner": "security", "approved_by": "ciso", "expires": str(today - dt.timedelta(days=1)),
                    "created": str(today - dt.timedelta(days=20)), "status": "expired", "matched": []})
    waivers.append({"check": "DAT-09", "reason": "legacy pipeline retired", "owner": "analytics",
                    "approved_by": "cto", "expires": str(today + dt.timedelta(days=30)),
                    "created": None, "status": "unused", "matched": []})

    signoffs = [
        {"item": "SEC-01", "by": "alice (security lead)", "at": str(today - dt.timedelta(days=1)),
         "evidence": "https://tickets.example/SEC-1201", "expires": str(today + dt.timedelta(days=30)),
         "status": "valid"},
        {"item": "MON-06", "by": "bob (sre)", "at": str(today - dt.timedelta(days=40)),
         "evidence": "https://pagerduty.example/schedules/P123", "expires": str(today - dt.timedelta(days=3)),
         "status": "expired"},
    ]
    signed = {s["item"] for s in signoffs if s["status"] == "valid"}
    for item_id, title, phase, category, severity, owner, _mode in manual:
        ok = item_id in signed
        checks.append({
            "nodeid": f"manual::{item_id}", "outcome": "passed" if ok else "missing", "kind": "manual",
            "title": title, "phase": phase, "category": category, "severity": severity,
            "severity_defaulted": False, "blocking": severity in blocking_severities, "owner": owner,
            "checklist": item_id, "rollback_trigger": False, "destructive": False, "duration_s": 0.0,
            "evidence": {"signoff": "https://tickets.example/SEC-1201"} if ok else {},
            "message": "" if ok else "no valid sign-off", "waiver": None, "source": None,
        })

    if payload is not None:
        target = next(c for c in checks if c["outcome"] == "failed" and c["blocking"]
                      and c["waiver"] is None) if any(
            c["outcome"] == "failed" and c["blocking"] and c["waiver"] is None for c in checks) else checks[0]
        if target["outcome"] == "passed":
            target["outcome"] = "failed"
        target["nodeid"] = f"readiness/test_security.py::test_headers[{payload}]"
        target["message"] = f"unexpected body: {payload}"
        target["evidence"] = {"measured": payload, "threshold": payload, payload: 1}
        target["owner"] = payload
        target["title"] = payload
        waivers[-1]["reason"] = payload
        signoffs[0]["evidence"] = payload

    checklist = []
    for item_id, title, phase, category, severity, owner, mode in CHECKLIST:
        linked = [c for c in checks if c["checklist"] == item_id]
        if mode == "manual":
            status = "signed" if item_id in signed else "unsigned"
        elif not linked:
            status = "uncovered"
        elif any(c["outcome"] in ("failed", "error", "missing", "skipped") and c["waiver"] is None
                 for c in linked):
            status = "failed" if any(c["outcome"] in ("failed", "error") for c in linked) else "missing"
        elif any(c["waiver"] for c in linked):
            status = "waived"
        else:
            status = "passed"
        checklist.append({"id": item_id, "title": title, "phase": phase, "category": category,
                          "severity": severity, "owner": owner, "mode": mode, "description": "",
                          "references": [], "status": status,
                          "checks": [c["nodeid"] for c in linked][:50]})
    checklist.append({"id": "INF-07", "title": "Auto-scaling policies verified", "phase": "t_minus_7",
                      "category": "infra", "severity": "normal", "owner": "platform",
                      "mode": "automated", "description": "", "references": [],
                      "status": "uncovered", "checks": []})

    reasons: list[dict[str, Any]] = []
    for check in checks:
        bad = check["outcome"] != "passed"
        if not bad:
            continue
        code = {"failed": "failed", "error": "error", "skipped": "skipped", "missing": "missing",
                "refused": "refused"}[check["outcome"]]
        if check["kind"] == "manual":
            code = "unsigned"
        if check["waiver"] is not None:
            reasons.append({"code": "waived", "blocking": False, "nodeid": check["nodeid"],
                            "checklist": check["checklist"], "owner": check["owner"],
                            "evidence": check["evidence"],
                            "text": f"{check['nodeid']} failed; accepted risk until "
                                    f"{check['waiver']['expires']} (approved by {check['waiver']['approved_by']})"})
            continue
        if stage is not None and check["rollback_trigger"] and check["outcome"] == "failed":
            code = "rollback"
        blocking = check["blocking"] or code == "rollback"
        if not blocking:
            code = "nonblocking_failed" if check["outcome"] in ("failed", "error") else code
        reasons.append({"code": code, "blocking": blocking, "nodeid": check["nodeid"],
                        "checklist": check["checklist"], "owner": check["owner"],
                        "evidence": check["evidence"], "text": check["message"] or f"{check['outcome']}"})
    reasons.append({"code": "expired_waiver", "blocking": False, "nodeid": None, "checklist": "SEC-05",
                    "owner": "security", "evidence": {}, "text": "waiver for SEC-05 expired on "
                    + waivers[-2]["expires"] + "; it has no effect"})
    reasons.append({"code": "unused_waiver", "blocking": False, "nodeid": None, "checklist": "DAT-09",
                    "owner": "analytics", "evidence": {}, "text": "waiver for DAT-09 matches no check"})
    reasons.append({"code": "uncovered", "blocking": False, "nodeid": None, "checklist": "INF-07",
                    "owner": "platform", "evidence": {}, "text": "checklist item INF-07 has no check and is not manual"})
    if checks and checks[-len(manual) - 1]["severity_defaulted"]:
        defaulted = checks[-len(manual) - 1]
        reasons.append({"code": "severity_defaulted", "blocking": False, "nodeid": defaulted["nodeid"],
                        "checklist": None, "owner": defaulted["owner"], "evidence": {},
                        "text": f"{defaulted['nodeid']} has no severity marker; counted as blocking"})
    incomplete_reasons: list[str] = []
    if not complete:
        incomplete_reasons = ["interrupted: KeyboardInterrupt after 812 of 1200 checks",
                              "worker gw1 crashed"]
        reasons.append({"code": "incomplete", "blocking": True, "nodeid": None, "checklist": None,
                        "owner": None, "evidence": {}, "text": "the run is incomplete: " + "; ".join(incomplete_reasons)})
    reasons.sort(key=lambda r: (not r["blocking"], r["code"] != "rollback"))

    blocking_reasons = [r for r in reasons if r["blocking"]]
    if any(r["code"] == "rollback" for r in reasons):
        verdict = "ROLLBACK"
    elif blocking_reasons:
        verdict = "NO_GO"
    elif any(r["code"] in ("waived", "nonblocking_failed") for r in reasons):
        verdict = "GO_WITH_RISKS"
    else:
        verdict = "GO"
    if stage is not None:
        display = {"GO": "PROCEED", "GO_WITH_RISKS": "PROCEED", "NO_GO": "HOLD", "ROLLBACK": "ROLLBACK"}[verdict]
    else:
        display = verdict.replace("_", " ").replace("NO GO", "NO-GO")
    headline = (f"{len(blocking_reasons)} blocking problem(s); "
                f"first: {blocking_reasons[0]['text']}" if blocking_reasons
                else "all blocking checks passed")

    summary = {key: 0 for key in ("passed", "failed", "error", "skipped", "refused", "missing")}
    for check in checks:
        summary[check["outcome"]] += 1
    summary["total"] = len(checks)
    summary["waived"] = sum(1 for c in checks if c["waiver"] is not None)
    summary["blocking_failures"] = sum(
        1 for c in checks if c["blocking"] and c["outcome"] != "passed" and c["waiver"] is None)

    duration = round(sum(c["duration_s"] for c in checks) / 4, 2)
    finished = started + dt.timedelta(seconds=duration)
    markexpr = {None: "t_minus_7"}.get(stage, "t_0")
    doc: dict[str, Any] = {
        "schema_version": 1,
        "tool": {"name": "pytest-launch", "version": "0.1.0"},
        "verdict": verdict,
        "display_verdict": display,
        "headline": headline,
        "reasons": reasons,
        "environment": {"name": env, "production": env == "prod",
                        "description": "MusicConnect production (eu-west-1, us-east-1)",
                        "source": f"readiness/environments/{env}.toml"},
        "run": {"started": started.isoformat(), "finished": finished.isoformat(),
                "duration_s": duration, "args": ["readiness", "-m", markexpr, f"--env={env}", "--launch-gate"],
                "markexpr": markexpr, "stage": stage, "complete": complete,
                "incomplete_reasons": incomplete_reasons, "selected": len(checks),
                "collection_errors": 0, "interrupted": incomplete_reasons[0] if incomplete_reasons else None,
                "crashed_workers": ["gw1"] if not complete else [], "host": "ci-runner-7",
                "ci_url": "https://github.com/musicconnect/launch/actions/runs/1234",
                "git_revision": "3f9c2a1d0b7e", "pytest_version": "9.0.3", "python_version": "3.11.7",
                "plugin_version": "0.1.0", "sources": [],
                # the scope facts a run stores: every phase of the checklist sample, the environment
                "scope_phases": sorted({c["phase"] for c in checks if c.get("phase")}), "partial": [],
                "environments": [env], "release": None},
        "policy": {"blocking_severities": blocking_severities, "require_destructive": [], "strict": False},
        "checks": checks,
        "checklist": checklist,
        "waivers": waivers,
        "signoffs": signoffs,
        "summary": summary,
    }
    for approval in (*waivers, *signoffs):
        approval.setdefault("environments", [env])
    if rollback_steps is not None:
        doc["rollback_steps"] = rollback_steps
    return doc


def sample_history(doc: dict[str, Any], runs: int = 8) -> list[dict[str, Any]]:
    """Earlier runs' history lines for `doc`'s environment, oldest first (not including doc)."""
    started = dt.datetime.fromisoformat(doc["run"]["started"])
    failing_now = [c["nodeid"] for c in doc["checks"]
                   if c["outcome"] != "passed" and c["blocking"] and c["waiver"] is None]
    passing_now = [c["nodeid"] for c in doc["checks"] if c["outcome"] == "passed"]
    lines = []
    verdicts = ["NO_GO", "NO_GO", "NO_GO", "GO_WITH_RISKS", "NO_GO", "GO", "GO_WITH_RISKS", "NO_GO"]
    for back in range(runs, 0, -1):
        verdict = verdicts[(runs - back) % len(verdicts)]
        failing = failing_now[1:] + passing_now[:2] if back == 1 else failing_now[: back % 4]
        if verdict in ("GO", "GO_WITH_RISKS"):
            failing = []
        lines.append({
            "time": (started - dt.timedelta(days=back)).isoformat(),
            "environment": doc["environment"]["name"], "verdict": verdict,
            "display_verdict": verdict.replace("_", " ").replace("NO GO", "NO-GO"),
            "counts": {"total": doc["summary"]["total"], "passed": doc["summary"]["total"] - len(failing),
                       "failed": len(failing)},
            "failing_blockers": len(failing), "failing": failing, "git_revision": f"abc{back:03d}",
            "stage": None, "markexpr": doc["run"]["markexpr"],
        })
    return lines


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    out = sys.argv[2] if len(sys.argv) > 2 else "-"
    text = json.dumps(sample_document(count), indent=1)
    if out == "-":
        print(text)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)
