"""Reading a Kubernetes cluster's API (INF-01 nodes Ready, INF-07 autoscalers): a read-only
client with the cluster's bearer token, and what its answers say.

    client = cluster_client(api_url, token, ca_bundle, timeout_s, secrets)
    why = node_not_ready(node)            # None when the node is Ready
    hpa = autoscaler(client, "catalog", "catalog-api")   # the HorizontalPodAutoscaler, or None
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_launch.probes.api_client import ApiClient, ApiSettings


class KubernetesClient(ApiClient[ApiSettings]):
    """One cluster's API (GET only)."""

    kind = "kubernetes"
    table = "kubernetes"


def cluster_client(api_url: str, token: str | None, ca_bundle: str | None, timeout_s: float,
                   secrets: Iterable[str] = ()) -> KubernetesClient:
    """A client of one cluster's API; `ca_bundle` a path (verified against it) or None (the system CAs)."""
    return KubernetesClient(ApiSettings(url=api_url, timeout_s=timeout_s, ca_bundle=ca_bundle, bearer_token=token),
                            secrets=secrets)


def node_not_ready(node: dict[str, Any]) -> str | None:
    """Why a Kubernetes node is not Ready, or None when it is."""
    for condition in node.get("status", {}).get("conditions", []):
        if condition.get("type") == "Ready":
            if condition.get("status") == "True":
                return None
            return f"Ready={condition.get('status')} ({condition.get('reason', 'no reason')})"
    return "no Ready condition reported"


def autoscaler(client: ApiClient[Any], namespace: str, name: str) -> dict[str, Any] | None:
    """The HorizontalPodAutoscaler `namespace/name` (autoscaling/v2), or None when there is none."""
    found = client.json(f"/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers")
    return next((h for h in found.get("items", []) if h.get("metadata", {}).get("name") == name), None)


def replicas(hpa: dict[str, Any]) -> tuple[int, int]:
    """(minReplicas, maxReplicas) of an autoscaler; Kubernetes' default minimum is 1."""
    spec = hpa.get("spec", {})
    return int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 0))
