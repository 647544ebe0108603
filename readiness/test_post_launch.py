"""Post-launch checks (checklist: Post-Launch Validation / Operational).

The T+1 performance items and the success criteria are measured from Prometheus by the
environment's [success] criteria, each naming its checklist id (readiness/test_success_criteria.py,
pytest_launch.outputs.postlaunch); the backup verification (OPS-04) is in test_data.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from launch_suite.checks import table

SYNTHETIC_LABEL = "readiness"  # the synthetic alerts of MON-09 carry readiness="synthetic"


@pytest.mark.env_tables("alertmanager")
@pytest.mark.checklist("OPS-01")
def test_all_alerts_resolved(launch_env: Any, launch_probes: Any, launch_evidence: Any) -> None:
    """Alertmanager lists no active, unsilenced alert (synthetic readiness alerts excepted)."""
    table(launch_env, "alertmanager")
    alerts = [a for a in launch_probes.alertmanager.alerts(active_only=True)
              if a["labels"].get(SYNTHETIC_LABEL) != "synthetic"]
    names = sorted({a["labels"].get("alertname", "?") for a in alerts})
    launch_evidence.record(active_alerts=len(alerts), alert_names=names)
    assert not alerts, f"{len(alerts)} active alert(s) not resolved: {', '.join(names)}"
