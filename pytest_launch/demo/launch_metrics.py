"""The demo's launch metrics: a Prometheus exporter standing in for what the book-catalog demo
app itself does not have, so that every launch-day and T+1 item can be measured in the demo:
payments, user registrations, subscriptions, content uploads, a CDN, a database, the pods' CPU
and memory, active users and revenue tracking.

These values are SIMULATED (the demo says so in its environment file and README): counters grow
at steady, healthy rates from the moment the exporter starts, so `rate()` and `increase()`
measure them even over the demo's short windows; gauges wobble a little around healthy levels.
A fault turns one signal unhealthy (`payment_failures`: 30 % of payments fail).

The metric names and labels are the ones readiness/environments/prod.example.toml's PromQL
templates use, so the demo runs the same queries a production environment would. The HTTP
traffic metrics (error rate, latency, availability) are NOT simulated: they come from the real
demo app, which synthetic visitors (pytest_launch.demo.traffic) browse.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from pytest_launch.demo.servers import DemoWSGIServer

JOB = "demo-launch-metrics"  # the Prometheus job that scrapes this exporter
SIMULATED_FAULTS = frozenset({"payment_failures"})
NAMESPACE = "catalog"
PODS = ("catalog-api-7d9f6-a", "catalog-api-7d9f6-b")
# database query latency: cumulative share of queries at or below each bucket (p95 about 34 ms)
DB_BUCKETS: tuple[tuple[float, float], ...] = (
    (0.001, 0.05), (0.005, 0.40), (0.01, 0.75), (0.025, 0.93), (0.05, 0.985), (0.1, 0.997),
    (0.25, 0.9995), (0.5, 1.0), (1.0, 1.0),
)
DB_MEAN_SECONDS = 0.009


@dataclasses.dataclass(frozen=True)
class LaunchRates:
    """The simulated launch: events per second and levels (healthy defaults)."""

    payments_per_s: float = 2.0
    payment_success_ratio: float = 0.985
    order_value_eur: float = 9.99
    revenue_tracked_ratio: float = 0.998  # revenue the analytics recorded / amount captured
    registrations_per_s: float = 5.0
    subscription_ratio: float = 0.06  # subscriptions started per registration
    uploads_per_s: float = 1.0
    cdn_requests_per_s: float = 40.0
    cdn_hit_ratio: float = 0.93
    db_queries_per_s: float = 25.0
    pod_cpu_cores: tuple[float, ...] = (0.31, 0.27)
    pod_memory_bytes: tuple[float, ...] = (420e6, 395e6)
    pod_memory_limit_bytes: float = 1024.0 ** 3
    active_users: float = 48.0

    @classmethod
    def for_faults(cls, faults: Iterable[str]) -> LaunchRates:
        rates = cls()
        if "payment_failures" in set(faults):
            rates = dataclasses.replace(rates, payment_success_ratio=0.70)
        return rates


class LaunchMetricsCollector:
    """A prometheus_client collector computing every value from the time since `start`."""

    def __init__(self, rates: LaunchRates, start: float | None = None) -> None:
        self.rates = rates
        self.start = time.monotonic() if start is None else start

    def elapsed(self) -> float:
        return max(time.monotonic() - self.start, 0.0)

    def collect(self) -> Iterator[Metric]:
        r, t = self.rates, self.elapsed()
        payments = CounterMetricFamily("payments", "Payment attempts by outcome (simulated)", labels=["outcome"])
        payments.add_metric(["success"], r.payments_per_s * r.payment_success_ratio * t)
        payments.add_metric(["failure"], r.payments_per_s * (1 - r.payment_success_ratio) * t)
        yield payments
        captured = r.payments_per_s * r.payment_success_ratio * r.order_value_eur * t
        captured_family = CounterMetricFamily("payments_captured_amount", "Amount captured by the payment provider "
                                              "(simulated)", labels=["currency"])
        captured_family.add_metric(["EUR"], captured)
        yield captured_family
        recorded = CounterMetricFamily("revenue_recorded", "Revenue recorded by revenue tracking (simulated)",
                                       labels=["currency"])
        recorded.add_metric(["EUR"], captured * r.revenue_tracked_ratio)
        yield recorded
        yield CounterMetricFamily("user_registrations", "New user accounts (simulated)",
                                  value=r.registrations_per_s * t)
        subscriptions = CounterMetricFamily("subscriptions_started", "Paid subscriptions started (simulated)",
                                            labels=["plan"])
        subscriptions.add_metric(["monthly"], r.registrations_per_s * r.subscription_ratio * t)
        yield subscriptions
        uploads = CounterMetricFamily("content_uploads", "Content uploaded by users (simulated)", labels=["kind"])
        uploads.add_metric(["cover_image"], r.uploads_per_s * t)
        yield uploads
        cdn = CounterMetricFamily("cdn_requests", "CDN edge requests by cache status (simulated)",
                                  labels=["cache_status"])
        cdn.add_metric(["hit"], r.cdn_requests_per_s * r.cdn_hit_ratio * t)
        cdn.add_metric(["miss"], r.cdn_requests_per_s * (1 - r.cdn_hit_ratio) * t)
        yield cdn
        queries = r.db_queries_per_s * t
        db = HistogramMetricFamily("db_query_duration_seconds", "Database query latency (simulated)",
                                   labels=["database"])
        buckets = [(repr(le), queries * share) for le, share in DB_BUCKETS] + [("+Inf", queries)]
        db.add_metric(["catalog"], buckets, sum_value=queries * DB_MEAN_SECONDS)
        yield db
        labels = ["namespace", "pod", "container"]
        cpu = CounterMetricFamily("container_cpu_usage_seconds", "CPU seconds used (simulated pods)", labels=labels)
        memory = GaugeMetricFamily("container_memory_working_set_bytes", "Working set (simulated pods)",
                                   labels=labels)
        limit = GaugeMetricFamily("container_spec_memory_limit_bytes", "Memory limit (simulated pods)",
                                  labels=labels)
        for index, pod in enumerate(PODS):
            key = [NAMESPACE, pod, "catalog-api"]
            cpu.add_metric(key, r.pod_cpu_cores[index % len(r.pod_cpu_cores)] * t)
            base = r.pod_memory_bytes[index % len(r.pod_memory_bytes)]
            memory.add_metric(key, base * (1 + 0.02 * math.sin(t / 7 + index)))
            limit.add_metric(key, r.pod_memory_limit_bytes)
        yield cpu
        yield memory
        yield limit
        yield GaugeMetricFamily("active_users", "Users active in the last 5 minutes (simulated)",
                                value=round(r.active_users + 4 * math.sin(t / 5)))


def metrics_app(registry: CollectorRegistry) -> Any:
    """A WSGI app serving `registry` on /metrics (404 elsewhere)."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        body = generate_latest(registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))])
        return [body]

    return app


def start_launch_metrics(faults: Iterable[str], stoppers: list[Any]) -> int:
    """Serve the simulated launch metrics over plain HTTP on 127.0.0.1; returns the port."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(LaunchMetricsCollector(LaunchRates.for_faults(faults)))
    server = DemoWSGIServer(metrics_app(registry), tls=None, server_header="launch-metrics").start()
    stoppers.append(server.stop)
    return server.port
