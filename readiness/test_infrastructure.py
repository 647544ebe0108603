"""Infrastructure checks (checklist: Pre-Launch Validation / Infrastructure, and launch-day health).

Each check inherits phase, category, severity and owner from readiness/checklist.toml through
@pytest.mark.checklist; a target the environment does not configure skips as "not configured"
(which blocks: no evidence is never a pass).
"""

from __future__ import annotations

from typing import Any

import pytest
from launch_suite.checks import env_path, setting, table
from launch_suite.health import health_word, is_healthy_word

from pytest_launch.probes.cdn import cache_control_problem, cache_status_is_hit
from pytest_launch.probes.errors import NoAnswer, ProbeError, conclude
from pytest_launch.probes.fanout import fan_out
from pytest_launch.probes.kubernetes import KubernetesClient, autoscaler, cluster_client, node_not_ready, replicas


def _ca_bundle(env: Any, ca_bundle: str | None) -> str | None:
    return str(env_path(env, ca_bundle)) if ca_bundle else None


def _clusters(env: Any) -> tuple[Any, list[Any]]:
    kube = table(env, "kubernetes")
    if not kube.clusters:
        pytest.skip(f"not configured: [kubernetes] has no clusters in {env.where}")
    return kube, kube.clusters


def _client(env: Any, kube: Any, cluster: Any) -> KubernetesClient:
    return cluster_client(cluster.api_url, cluster.token, _ca_bundle(env, cluster.ca_bundle or kube.ca_bundle),
                          kube.timeout, env.secrets)


# ------------------------------------------------------------------------------------ INF-01
@pytest.mark.env_tables("kubernetes")
@pytest.mark.checklist("INF-01")
def test_kubernetes_clusters_ready(launch_env: Any, launch_evidence: Any) -> None:
    """Every cluster's API answers /readyz and lists every node Ready."""
    kube, clusters = _clusters(launch_env)

    def check(cluster: Any) -> dict[str, Any]:
        client = _client(launch_env, kube, cluster)
        try:
            try:
                readyz = client.get("/readyz").text.strip()
            except NoAnswer:
                raise
            except ProbeError as error:  # /readyz answered an error status: the answer is "not ready"
                readyz = error.problem
            nodes = client.json("/api/v1/nodes").get("items", [])
        finally:
            client.close()
        not_ready = {n["metadata"]["name"]: why for n in nodes if (why := node_not_ready(n))}
        return {"readyz": readyz, "nodes": len(nodes), "not_ready": not_ready}

    problems: list[str] = []
    unanswered: list[ProbeError] = []
    for outcome in fan_out(check, clusters):
        name = outcome.target.name
        if not outcome.ok:
            error = _probe_error(outcome)
            unanswered.append(type(error)(f"cluster {name}: {error.target}", error.problem))
            continue
        result = outcome.result()
        launch_evidence.record(**{f"cluster {name}": result})
        if result["readyz"] != "ok":
            problems.append(f"cluster {name}: /readyz answered {result['readyz']!r}, expected 'ok'")
        if result["nodes"] == 0:
            problems.append(f"cluster {name}: the API lists no nodes")
        for node, why in result["not_ready"].items():
            problems.append(f"cluster {name}: node {node} is not Ready: {why}")
    conclude(unanswered, problems, "clusters")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ INF-07
@pytest.mark.env_tables("kubernetes")
@pytest.mark.checklist("INF-07")
def test_autoscaling_policies(launch_env: Any, launch_evidence: Any) -> None:
    """Every configured workload has a HorizontalPodAutoscaler with min >= the minimum and max > min."""
    kube, clusters = _clusters(launch_env)
    wanted = setting(launch_env, "kubernetes", "autoscalers")
    problems: list[str] = []
    unanswered: list[ProbeError] = []
    for cluster in clusters:
        client = _client(launch_env, kube, cluster)
        try:
            for entry in wanted:
                namespace, name = entry.split("/")
                try:
                    hpa = autoscaler(client, namespace, name)
                except ProbeError as error:
                    unanswered.append(type(error)(f"cluster {cluster.name}: {error.target}", error.problem))
                    continue
                if hpa is None:
                    problems.append(f"cluster {cluster.name}: no HorizontalPodAutoscaler {entry}")
                    continue
                low, high = replicas(hpa)
                launch_evidence.record(**{f"hpa {cluster.name}/{entry}": {
                    "min_replicas": low, "max_replicas": high, "required_min": kube.min_replicas}})
                if low < kube.min_replicas:
                    problems.append(f"cluster {cluster.name}: {entry} minReplicas {low} < {kube.min_replicas}")
                if high <= low:
                    problems.append(f"cluster {cluster.name}: {entry} maxReplicas {high} leaves no room to scale "
                                    f"(min {low})")
        finally:
            client.close()
    conclude(unanswered, problems, "autoscaler look-ups")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------ INF-02, DAT-04
def _replication(launch_env: Any) -> tuple[Any, str, list[Any]]:
    database = table(launch_env, "database")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("not configured: psycopg is not installed (pip install 'pytest-launch[postgres]')")
    from pytest_launch.probes.postgres import read_replication

    target, replicas = read_replication(database.dsn, database.connect_timeout, launch_env.secrets)
    return database, target, replicas


@pytest.mark.env_tables("database")
@pytest.mark.checklist("INF-02")
def test_database_replication(launch_env: Any, launch_evidence: Any) -> None:
    """pg_stat_replication on the primary lists every expected replica as streaming."""
    from pytest_launch.probes.postgres import replication_problems

    database, target, replicas = _replication(launch_env)
    launch_evidence.record(primary=target,
                           replicas={r.name: {"state": r.state, "sync_state": r.sync_state} for r in replicas},
                           streaming=sum(r.state == "streaming" for r in replicas),
                           expected_replicas=max(database.expected_replicas, len(database.replicas)),
                           expected_names=database.replicas)
    problems = replication_problems(target, replicas, database.expected_replicas, database.replicas)
    assert not problems, "\n".join(problems)


@pytest.mark.env_tables("database")
@pytest.mark.checklist("DAT-04")
def test_read_replicas_lag(launch_env: Any, launch_evidence: Any) -> None:
    """Every replica's replay lag is within [database] max_lag_seconds and max_lag_bytes."""
    from pytest_launch.probes.postgres import lag_problems

    database, target, replicas = _replication(launch_env)
    launch_evidence.record(primary=target, replicas={r.name: r.evidence() for r in replicas},
                           max_lag_seconds=database.max_lag_seconds, max_lag_bytes=database.max_lag_bytes)
    problems = lag_problems(target, replicas, database.replicas, database.max_lag_seconds, database.max_lag_bytes)
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ INF-03
@pytest.mark.env_tables("cdn")
@pytest.mark.checklist("INF-03")
def test_cdn_configuration(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Every CDN URL answers 2xx, cacheable (Cache-Control without no-store/private), with a
    cache-status header; with [cdn] require_hit, a repeated request is served from the cache."""
    cdn = table(launch_env, "cdn")
    if not cdn.urls:
        pytest.skip(f"not configured: [cdn] urls is empty in {launch_env.where}")

    def probe(url: str) -> list[Any]:
        answers = [launch_http.get(url)]
        if cdn.require_hit and not _cache_hit(cdn, answers[0]):
            answers.append(launch_http.get(url))  # the first request may have filled the cache
        return answers

    problems: list[str] = []
    unanswered: list[ProbeError] = []
    for outcome in fan_out(probe, cdn.urls):
        if not outcome.ok:
            unanswered.append(_probe_error(outcome))
            continue
        answers = outcome.result()
        result = answers[-1]
        status_header = next((h for h in cdn.cache_status_headers if h in result.headers), None)
        statuses = [a.headers.get(status_header) for a in answers] if status_header else []
        launch_evidence.record(**{f"cdn {outcome.target}": {
            "status": result.status, "cache_control": result.headers.get("Cache-Control"),
            "cache_status_header": status_header, "cache_status": statuses}})
        if not 200 <= result.status < 300:
            problems.append(f"{outcome.target}: answered {result.status}, expected 2xx")
        cacheability = cache_control_problem(result.headers.get("Cache-Control"))
        if cacheability:
            problems.append(f"{outcome.target}: {cacheability}")
        if status_header is None:
            problems.append(f"{outcome.target}: no cache status header (looked for {', '.join(cdn.cache_status_headers)})")
        elif cdn.require_hit and not any(_cache_hit(cdn, a) for a in answers):
            problems.append(f"{outcome.target}: the CDN did not serve it from its cache in {len(answers)} requests "
                            f"({status_header}: {', '.join(str(s) for s in statuses)})")
    conclude(unanswered, problems, "CDN URLs")
    assert not problems, "\n".join(problems)


def _cache_hit(cdn: Any, result: Any) -> bool:
    return any(cache_status_is_hit(h, result.headers.get(h)) for h in cdn.cache_status_headers if h in result.headers)


def _probe_error(outcome: Any) -> ProbeError:
    """The error of a fan-out outcome as a ProbeError (anything else is re-raised: a bug, not an answer)."""
    if isinstance(outcome.error, ProbeError):
        return outcome.error
    raise outcome.error


# ------------------------------------------------------------------------------------ INF-04
@pytest.mark.checklist("INF-04")
def test_tls_certificates_valid(launch_tls: Any, launch_evidence: Any) -> None:
    """Every endpoint: chain verifies, names the host, and is valid for more than min_days_left."""
    problems = launch_tls.days_left_problems()
    launch_evidence.record(min_days_left=launch_tls.settings.min_days_left,
                           endpoints=[str(e) for e in launch_tls.settings.targets()])
    assert not problems, "\n".join(problems)


@pytest.mark.checklist("INF-04")
def test_tls_chain_complete(launch_tls: Any, launch_evidence: Any) -> None:
    """Every endpoint presents its intermediates (no missing link in the chain)."""
    targets = launch_tls.settings.targets()
    if not targets:
        pytest.skip("not configured: [tls] endpoints is empty")
    problems: list[str] = []
    unanswered: list[ProbeError] = []
    for outcome in launch_tls.probe_many():
        if not outcome.ok:
            unanswered.append(_probe_error(outcome))
            continue
        result = outcome.result()
        if result.missing_intermediate:
            problems.append(f"{result.endpoint}: the server does not send its intermediate certificate(s)")
        if not result.chain_complete_known:
            problems.append(f"{result.endpoint}: only the leaf could be read, chain completeness unknown")
    conclude(unanswered, problems, "TLS endpoints")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ INF-05
@pytest.mark.checklist("INF-05")
def test_dns_expected_records(launch_dns: Any) -> None:
    """The expected records are served, with TTLs within [dns] ttl_min..ttl_max when either is set
    (a TTL too long delays a DNS rollback for hours)."""
    problems = launch_dns.expected_problems()
    if launch_dns.settings.ttl_min is not None or launch_dns.settings.ttl_max is not None:
        problems += launch_dns.ttl_problems()
    assert not problems, "\n".join(problems)


@pytest.mark.checklist("INF-05")
def test_dns_soa_serials_agree(launch_dns: Any, launch_evidence: Any) -> None:
    """Every authoritative nameserver serves the same SOA serial (no stale secondary)."""
    if not launch_dns.settings.zone:
        pytest.skip("not configured: [dns] zone is not set")
    serials = launch_dns.soa_serials()
    assert len(serials) >= 2, f"only {len(serials)} authoritative server(s) answered: {serials}; at least 2 expected"
    assert len(set(serials.values())) == 1, f"authoritative servers disagree on the SOA serial: {serials}"


@pytest.mark.checklist("INF-05")
def test_dns_caa_names_our_ca(launch_dns: Any, launch_evidence: Any) -> None:
    expected = launch_dns.settings.caa_issuers
    if not expected:
        pytest.skip("not configured: [dns] caa_issuers is empty")
    zone = launch_dns.settings.zone
    if not zone:
        pytest.skip("not configured: [dns] zone is not set")
    # the zone's own CAA first: a launch team sets it on its zone (the RFC 8659 walk up the tree
    # would ask the parent zone, which an authoritative-only server refuses)
    own = launch_dns.lookup(zone, "CAA")
    assert own.values, f"no CAA record for {zone} ({own.status}): any CA may issue certificates for it"
    issuers = launch_dns.caa_issuers()
    launch_evidence.record(caa_issuers=issuers, expected=expected)
    missing = [i for i in expected if i not in issuers]
    assert not missing, f"CAA does not allow {missing} (found {issuers})"


@pytest.mark.checklist("INF-05")
def test_dns_mail_policies(launch_dns: Any) -> None:
    """SPF and DMARC present and well-formed (mail from the domain is not spoofable)."""
    if not launch_dns.settings.zone:
        pytest.skip("not configured: [dns] zone is not set")
    problems = launch_dns.spf().problems + launch_dns.dmarc().problems
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ INF-06
@pytest.mark.env_tables("load_balancer")
@pytest.mark.checklist("INF-06")
def test_load_balancer_backends_healthy(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Every backend in the pool answers its health URL with 2xx, and a body that states a
    health verdict (a JSON status/state/health/healthy field, a JSON scalar, a short plain-text
    body) states a healthy one: 200 {"status": "DOWN"} is a backend that says it is down."""
    backends = setting(launch_env, "load_balancer", "backends")
    problems: list[str] = []
    unanswered: list[ProbeError] = []
    statuses = {}
    said = {}
    for outcome in fan_out(lambda url: launch_http.get(url, accept_5xx=True), backends):
        if not outcome.ok:
            unanswered.append(_probe_error(outcome))
            continue
        result = outcome.result()
        statuses[outcome.target] = result.status
        if not 200 <= result.status < 300:
            problems.append(f"backend {outcome.target} answered {result.status}, expected 2xx")
            continue
        stated = health_word(result.text)
        if stated is not None:
            where, word = stated
            said[outcome.target] = f"{where}={word[:40]}"
            if not is_healthy_word(word):
                problems.append(f"backend {outcome.target} answered {result.status} but its health says "
                                f"{word[:40]!r} ({where}): not healthy")
    launch_evidence.record(backend_status=statuses, backend_health=said, backends=len(backends))
    conclude(unanswered, problems, "backends")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ INF-08
@pytest.mark.env_tables("backups")
@pytest.mark.checklist("INF-08")
def test_backup_system_configured(launch_s3: Any, launch_evidence: Any) -> None:
    """The backup bucket is versioned, encrypted, has a retention rule and a fresh backup."""
    if launch_s3.backups is None:
        pytest.skip("not configured: no [backups] table")
    bucket = launch_s3.backups.bucket
    problems = launch_s3.backup_problems()
    versioning = launch_s3.versioning_enabled(bucket)
    encryption = launch_s3.default_encryption(bucket)
    rules = launch_s3.lifecycle_rules(bucket)
    launch_evidence.record(bucket=bucket, versioning=versioning, encryption=encryption, lifecycle_rules=len(rules))
    if not versioning:
        problems.append(f"s3://{bucket}: versioning is not enabled")
    if not encryption:
        problems.append(f"s3://{bucket}: no default encryption")
    if not rules:
        problems.append(f"s3://{bucket}: no enabled lifecycle (retention) rule")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------- launch day: DAY-01, RB-05
@pytest.mark.env_tables("application")
@pytest.mark.checklist("DAY-01")
def test_final_infrastructure_health(launch_env: Any, launch_http: Any, launch_tls: Any, launch_dns: Any,
                                     launch_evidence: Any) -> None:
    """Launch morning: health endpoint, certificates and DNS, in one pass."""
    health = table(launch_env, "application").health_path or "/health"
    problems = []
    result = launch_http.get(health)
    if result.status != 200:
        problems.append(f"{result.url}: answered {result.status}, expected 200")
    problems += launch_tls.days_left_problems()
    problems += launch_dns.expected_problems()
    launch_evidence.record(health_status=result.status, problems=len(problems))
    assert not problems, "\n".join(problems)


@pytest.mark.rollback_trigger
@pytest.mark.env_tables("application")
@pytest.mark.checklist("RB-05")
def test_no_complete_outage(launch_env: Any, launch_http: Any, launch_evidence: Any) -> None:
    """Rollback trigger: the health endpoint and the home page answer (no complete outage)."""
    app = table(launch_env, "application")
    statuses = {}
    for path in [p for p in (app.health_path, app.home_path) if p]:
        try:
            statuses[path] = launch_http.get(path).status
        except ProbeError as error:
            statuses[path] = str(error)
    launch_evidence.record(statuses=statuses)
    down = {p: s for p, s in statuses.items() if s != 200}
    assert not down, f"service outage: {down}"
