"""Settings tables of the readiness suite (readiness/test_*.py), beyond the probes' own tables.
readiness/conftest.py registers SUITE_TABLES through the pytest_launch_tables hook.

Each table is optional: a check whose table (or key) is missing skips with "not configured: ...",
which blocks like a failure. Files named here are relative to the environment file's folder.
Secrets (tokens, DSNs with keys, database passwords) only through ${VAR}.

    [application]   health, version, critical user journeys          (APP-09, APP-10, DAY-03/04/13)
    [security]      redirect, HSTS, headers, cookies, admin, rate limit, WAF, buckets
    [providers]     feature flags, error tracking, payments, email, push, analytics health URLs
    [load_balancer] every backend's health URL                       (INF-06)
    [cdn]           URLs served through the CDN                      (INF-03)
    [kubernetes]    clusters (API URL + bearer token), autoscalers   (INF-01, INF-07)
    [database]      primary DSN, replicas, max lag (s and bytes)     (INF-02, DAT-04)
    [grafana]       URL, token, expected dashboard uids              (MON-02)
    [catalog]       the JSON data, its schema, search probes         (DAT-02, DAT-06, RB-03)
    [restore]       scratch location of the restore drill            (DAT-03)
    [secrets_rotation]  Secrets Manager secret ids and maximum age   (SEC-06)
    (T+1 thresholds live in [success] criteria, each naming its checklist id: pytest_launch.outputs.postlaunch)
"""

from __future__ import annotations

import dataclasses

from pytest_launch.core.settings import Table, http_url_problem
from pytest_launch.probes.deadline import timeout_problem


@dataclasses.dataclass
class JourneyStep(Table):
    """One request of a journey: path (or absolute URL), expected status, text the body must hold."""

    path: str
    method: str = "GET"
    status: int = 200
    contains: list[str] = dataclasses.field(default_factory=list)
    json_keys: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Journey(Table):
    name: str
    steps: list[JourneyStep] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        if not self.steps:
            return (f"at least one step in journey {self.name!r}", "none")
        for step in self.steps:
            if step.method.upper() not in ("GET", "HEAD", "OPTIONS"):
                return (f"read-only methods (GET, HEAD, OPTIONS) in journey {self.name!r}", step.method)
        return None


@dataclasses.dataclass
class ApplicationSettings(Table):
    """[application]"""

    health_path: str | None = "/health"
    health_field: str = "status"
    health_ok_values: list[str] = dataclasses.field(default_factory=lambda: ["ok", "pass", "healthy", "UP"])
    home_path: str = "/"
    # DAY-13: text in the home page's <title> or first <h1> that marks a maintenance page
    # (case-insensitive); a Retry-After header or a redirect to a /maintenance path marks one too
    maintenance_markers: list[str] = dataclasses.field(
        default_factory=lambda: ["maintenance", "be right back", "temporarily unavailable", "down for"])
    version_path: str | None = None
    version_field: str = "version"
    expected_version: str | None = None
    journeys: list[Journey] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RateLimitProbe(Table):
    path: str
    requests: int = 60
    concurrency: int = 10

    def validate(self) -> tuple[str, str] | None:
        if not 1 <= self.requests <= 1000:
            return ("requests between 1 and 1000 (a bounded burst)", str(self.requests))
        if not 1 <= self.concurrency <= 50:
            return ("concurrency between 1 and 50", str(self.concurrency))
        return None


@dataclasses.dataclass
class SecuritySettings(Table):
    """[security]"""

    http_redirect_url: str | None = None
    hsts_min_days: int = 180
    header_paths: list[str] = dataclasses.field(default_factory=lambda: ["/"])
    cookie_paths: list[str] = dataclasses.field(default_factory=lambda: ["/"])
    admin_paths: list[str] = dataclasses.field(default_factory=list)
    rate_limit: RateLimitProbe | None = None
    waf_probes: list[str] = dataclasses.field(default_factory=list)
    buckets: list[str] = dataclasses.field(default_factory=list)  # default: the [backups] bucket

    def validate(self) -> tuple[str, str] | None:
        if self.hsts_min_days < 1:
            return ("hsts_min_days to be at least 1", str(self.hsts_min_days))
        return http_url_problem("http_redirect_url", self.http_redirect_url)


@dataclasses.dataclass
class ProvidersSettings(Table):
    """[providers]: health URLs of third-party services (absolute URLs)."""

    feature_flags_url: str | None = None
    feature_flags_list_url: str | None = None
    expected_flags: list[str] = dataclasses.field(default_factory=list)
    error_tracking_dsn: str | None = None
    payments_url: str | None = None
    email_url: str | None = None
    push_url: str | None = None
    analytics_url: str | None = None

    def validate(self) -> tuple[str, str] | None:
        for name in ("feature_flags_url", "feature_flags_list_url", "payments_url", "email_url",
                     "push_url", "analytics_url"):
            problem = http_url_problem(name, getattr(self, name))
            if problem:
                return problem
        return None


@dataclasses.dataclass
class LoadBalancerSettings(Table):
    """[load_balancer]: the health URL of every backend in the pool."""

    backends: list[str] = dataclasses.field(default_factory=list)

    def validate(self) -> tuple[str, str] | None:
        for url in self.backends:
            problem = http_url_problem("backends", url)
            if problem:
                return problem
        return None


@dataclasses.dataclass
class CdnSettings(Table):
    """[cdn]: URLs served through the CDN (cacheable assets), and the headers that carry its cache
    status. With `require_hit` (default) each URL is requested twice and one answer must report
    a cache hit (HIT, TCP_HIT, STALE, REVALIDATED, UPDATING, RFC 9211 `hit`): a CDN that answers
    MISS or BYPASS every time is not caching."""

    urls: list[str] = dataclasses.field(default_factory=list)
    cache_status_headers: list[str] = dataclasses.field(
        default_factory=lambda: ["Cache-Status", "X-Cache", "X-Cache-Status", "CF-Cache-Status", "X-Served-From-Cache"])
    require_hit: bool = True

    def validate(self) -> tuple[str, str] | None:
        for url in self.urls:
            problem = http_url_problem("urls", url)
            if problem:
                return problem
        return None


@dataclasses.dataclass
class KubeCluster(Table):
    name: str
    api_url: str
    token: str            # only through ${VAR}
    ca_bundle: str | None = None

    def validate(self) -> tuple[str, str] | None:
        return http_url_problem(f"api_url of cluster {self.name!r}", self.api_url)


@dataclasses.dataclass
class KubernetesSettings(Table):
    """[kubernetes]: clusters to check through their API, and the autoscalers that must exist."""

    clusters: list[KubeCluster] = dataclasses.field(default_factory=list)
    ca_bundle: str | None = None
    timeout: float = 10.0
    autoscalers: list[str] = dataclasses.field(default_factory=list)  # "namespace/name"
    min_replicas: int = 2

    def validate(self) -> tuple[str, str] | None:
        problem = timeout_problem("timeout", self.timeout)
        if problem:
            return problem
        for name in self.autoscalers:
            if name.count("/") != 1:
                return ("autoscalers as 'namespace/name'", repr(name))
        return None


@dataclasses.dataclass
class DatabaseSettings(Table):
    """[database]: the PostgreSQL primary (DSN through ${VAR}; a role with pg_monitor) and its
    replicas: `replicas` names them (their application_name, by default the replica's
    cluster_name), `expected_replicas` counts them. Lag is held against both thresholds:
    `max_lag_seconds` (pg_stat_replication replay_lag) and `max_lag_bytes` (WAL not yet replayed;
    replay_lag is NULL when replay is stuck after an idle period, so the byte gap is always read)."""

    dsn: str
    expected_replicas: int = 1
    replicas: list[str] = dataclasses.field(default_factory=list)
    max_lag_seconds: float = 10.0
    max_lag_bytes: int = 64 * 1024 * 1024
    connect_timeout: int = 5

    def validate(self) -> tuple[str, str] | None:
        if self.expected_replicas < 1:
            return ("expected_replicas of at least 1", str(self.expected_replicas))
        if self.max_lag_seconds <= 0:
            return ("max_lag_seconds above 0", str(self.max_lag_seconds))
        if self.max_lag_bytes < 0:
            return ("max_lag_bytes of at least 0", str(self.max_lag_bytes))
        if not 1 <= self.connect_timeout <= 60:
            return ("connect_timeout between 1 and 60 seconds", str(self.connect_timeout))
        return None


@dataclasses.dataclass
class GrafanaSettings(Table):
    """[grafana]"""

    url: str
    token: str | None = None   # only through ${VAR}
    ca_bundle: str | None = None
    dashboards: list[str] = dataclasses.field(default_factory=list)  # dashboard uids
    timeout: float = 10.0

    def validate(self) -> tuple[str, str] | None:
        return timeout_problem("timeout", self.timeout) or http_url_problem("url", self.url)


@dataclasses.dataclass
class SearchProbe(Table):
    query: str
    expect: str  # an ISBN, id or title the results must contain


@dataclasses.dataclass
class CatalogSettings(Table):
    """[catalog]: the service's JSON data (a path on [http] base_url, a URL, or a file)."""

    source: str
    schema: str
    search_path: str = "/api/search"
    search_probes: list[SearchProbe] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RestoreSettings(Table):
    """[restore]: where the restore drill may write, and how far its record counts may be from the live catalog's.

    The drill never writes where the backups or the data live. count_tolerance_percent: how far
    the restored backup's record counts (per top-level list: books, authors) may be from the live
    [catalog]'s, in percent of the live count (a backup is older than the live data)."""

    scratch_prefix: str = "restore-drill/"
    scratch_bucket: str | None = None  # default: the [backups] bucket
    count_tolerance_percent: float = 5.0

    def validate(self) -> tuple[str, str] | None:
        if not self.scratch_prefix.strip("/"):
            return ("a non-empty scratch_prefix (a folder of its own)", repr(self.scratch_prefix))
        if not 0 <= self.count_tolerance_percent <= 100:
            return ("count_tolerance_percent between 0 and 100", str(self.count_tolerance_percent))
        return None


@dataclasses.dataclass
class SecretsRotationSettings(Table):
    """[secrets_rotation]: AWS Secrets Manager secrets and how recently each must have rotated."""

    secrets: list[str] = dataclasses.field(default_factory=list)
    max_age_days: int = 90


SUITE_TABLES: dict[str, type[Table]] = {
    "application": ApplicationSettings,
    "security": SecuritySettings,
    "providers": ProvidersSettings,
    "load_balancer": LoadBalancerSettings,
    "cdn": CdnSettings,
    "kubernetes": KubernetesSettings,
    "database": DatabaseSettings,
    "grafana": GrafanaSettings,
    "catalog": CatalogSettings,
    "restore": RestoreSettings,
    "secrets_rotation": SecretsRotationSettings,
}
