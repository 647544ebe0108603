"""A Kubernetes API stand-in that replays recorded API responses (no real cluster runs here).

It serves, over TLS and only with the right bearer token, what a kube-apiserver answers to the
few read-only requests the readiness checks make:

    GET /readyz                                                   "ok"
    GET /api/v1/nodes                                             data/kube/nodes.json
    GET /apis/autoscaling/v2/namespaces/<ns>/horizontalpodautoscalers   data/kube/hpa-<ns>.json

The recordings are shaped like real `kubectl get --raw` output (NodeList, HorizontalPodAutoscalerList).
Faults: "node_not_ready" marks the last node NotReady; "apiserver_not_ready" makes /readyz 500;
"hpa_missing" drops the catalog-worker HorizontalPodAutoscaler from the list.
"""

from __future__ import annotations

import copy
import hmac
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

RECORDINGS = Path(__file__).parent / "data" / "kube"
KUBE_FAULTS = frozenset({"node_not_ready", "apiserver_not_ready", "hpa_missing"})
MISSING_HPA = "catalog-worker"  # what "hpa_missing" removes


class KubeReplayApp:
    def __init__(self, token: str, faults: Iterable[str] = (), recordings: Path = RECORDINGS) -> None:
        self.token = token
        self.faults = frozenset(faults)
        self.recordings = recordings

    def _status(self, code: int, reason: str, message: str) -> Response:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}
        return Response(json.dumps(body), status=code, mimetype="application/json")

    def _recording(self, name: str) -> Any:
        path = self.recordings / name
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._route(request)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        if not hmac.compare_digest(auth.encode(), f"Bearer {self.token}".encode()):
            return self._status(401, "Unauthorized", "Unauthorized")
        path = request.path.rstrip("/")
        if path == "/readyz":
            if "apiserver_not_ready" in self.faults:
                return Response("[-]etcd failed: reason withheld\nreadyz check failed", status=500,
                                mimetype="text/plain")
            return Response("ok", mimetype="text/plain")
        if path == "/api/v1/nodes":
            nodes = copy.deepcopy(self._recording("nodes.json"))
            if "node_not_ready" in self.faults and nodes["items"]:
                for condition in nodes["items"][-1]["status"]["conditions"]:
                    if condition["type"] == "Ready":
                        condition.update(status="False", reason="KubeletNotReady",
                                         message="container runtime network not ready")
            return Response(json.dumps(nodes), mimetype="application/json")
        parts = path.strip("/").split("/")
        if (len(parts) == 6 and parts[:3] == ["apis", "autoscaling", "v2"] and parts[3] == "namespaces"
                and parts[5] == "horizontalpodautoscalers"):
            data = self._recording(f"hpa-{parts[4]}.json")
            if data is None:
                data = {"kind": "HorizontalPodAutoscalerList", "apiVersion": "autoscaling/v2",
                        "metadata": {}, "items": []}
            if "hpa_missing" in self.faults:
                data["items"] = [h for h in data["items"] if h["metadata"]["name"] != MISSING_HPA]
            return Response(json.dumps(data), mimetype="application/json")
        return self._status(404, "NotFound", "the server could not find the requested resource")
