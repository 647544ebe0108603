"""PostgreSQL streaming replication as the primary sees it (pg_stat_replication), for the
readiness checks INF-02 (replication verified) and DAT-04 (read replicas syncing).

Read-only: one connection to the primary ([database] dsn, a role with pg_monitor), in a read-only
session with a statement timeout. What a real server does that this module accounts for:

- A role without pg_read_all_stats (granted by pg_monitor) sees one row per walsender with
  every column but the pid NULL: the replicas' state cannot be read, which fails, naming the
  grant to make, instead of looking like "no replica streaming".
- `replay_lag` is NULL when the replica has caught up and WAL is idle, but also when replay is
  stuck after an idle period (there is no sample to interpolate from). NULL is therefore never
  read as "no lag": the byte gap between the primary's current WAL position and the replica's
  replay position (`pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)`) is measured as well,
  and is held against `max_lag_bytes`.
- `pg_current_wal_lsn()` fails on a standby: a DSN naming a replica fails with that said.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from pytest_launch.probes.errors import NoAnswer, mask_secrets

REPLICATION_QUERY = """
SELECT application_name, client_addr::text, state, sync_state,
       EXTRACT(EPOCH FROM replay_lag)::float8,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8,
       EXTRACT(EPOCH FROM (now() - reply_time))::float8
FROM pg_stat_replication
ORDER BY application_name, client_addr
"""
PRIVILEGE_QUERY = ("SELECT pg_is_in_recovery(), current_user, "
                   "pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')")


@dataclasses.dataclass(frozen=True)
class ReplicaState:
    name: str                          # application_name, else the client address
    client: str | None
    state: str | None                  # streaming, catchup, startup, backup, stopping
    sync_state: str | None
    replay_lag_s: float | None         # NULL: caught up and idle, or replay stuck (see module doc)
    replay_behind_bytes: float | None  # WAL written on the primary and not yet replayed
    reply_age_s: float | None          # since the replica's last status message

    def evidence(self) -> dict[str, Any]:
        return {"state": self.state, "sync_state": self.sync_state, "replay_lag_s": self.replay_lag_s,
                "replay_behind_bytes": self.replay_behind_bytes, "reply_age_s": self.reply_age_s}


def describe_target(dsn: str) -> str:
    """`user@host:port/dbname` of a libpq DSN (key=value or URL), without its password.
    An unparsable DSN raises AssertionError without echoing it (it may hold a password)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        raise AssertionError("[database] dsn is not a valid PostgreSQL connection string "
                                 "(key=value pairs or a postgresql:// URL)") from None
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    port = parts.get("port") or "5432"
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"{user}{host}:{port}/{parts.get('dbname') or parts.get('user') or 'postgres'}"


# libpq's words for a server that gave no answer (as opposed to one that answered "no")
_NO_ANSWER = ("connection refused", "timeout expired", "could not translate host name", "no route to host",
              "server closed the connection unexpectedly", "network is unreachable", "connection timed out")


def read_replication(dsn: str, connect_timeout: float, secrets: Iterable[str] = ()) -> tuple[str, list[ReplicaState]]:
    """(the primary's description, one ReplicaState per connected walsender). When the primary
    gives no answer (refused, timeout, name not resolved) raises NoAnswer (the check errors); when
    it answers "no" (authentication, privileges, a standby) raises AssertionError (a failure);
    both name the target, never a secret."""
    import psycopg

    secret_list = [s for s in secrets if s] + [dsn]
    target = mask_secrets(describe_target(dsn), secret_list)
    try:
        with psycopg.connect(dsn, connect_timeout=max(1, round(connect_timeout)), autocommit=True) as conn:
            conn.execute("SET statement_timeout = '5s'")
            conn.execute("SET default_transaction_read_only = on")
            row = conn.execute(PRIVILEGE_QUERY).fetchone()
            in_recovery, user, privileged = row if row else (None, None, None)
            if in_recovery:
                raise AssertionError(f"PostgreSQL {target} is a standby (pg_is_in_recovery() is true): "
                                         "[database] dsn must name the primary")
            if not privileged:
                raise AssertionError(
                    f"PostgreSQL {target}: role {user} cannot read the replicas' state in pg_stat_replication "
                    f"(PostgreSQL hides it from roles without pg_read_all_stats): GRANT pg_monitor TO {user}")
            rows = conn.execute(REPLICATION_QUERY).fetchall()
    except psycopg.Error as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        message = "; ".join(lines)[:400] or type(error).__name__
        if isinstance(error, psycopg.OperationalError) and any(m in message.lower() for m in _NO_ANSWER):
            raise NoAnswer(f"PostgreSQL primary {target}", mask_secrets(message, secret_list)) from None
        raise AssertionError(f"PostgreSQL primary {target}: {mask_secrets(message, secret_list)}") from None
    replicas = [ReplicaState(name=name or client or "(unnamed)", client=client, state=state, sync_state=sync,
                             replay_lag_s=lag, replay_behind_bytes=behind, reply_age_s=reply_age)
                for name, client, state, sync, lag, behind, reply_age in rows]
    return target, replicas


def replication_problems(target: str, replicas: list[ReplicaState], expected_replicas: int,
                         expected_names: list[str]) -> list[str]:
    """INF-02: every named replica streaming, and at least `expected_replicas` streaming."""
    problems = []
    streaming = [r for r in replicas if r.state == "streaming"]
    by_name = {r.name: r for r in replicas}
    for name in expected_names:
        found = by_name.get(name)
        if found is None:
            problems.append(f"replica {name} is not connected to the primary {target}")
        elif found.state != "streaming":
            problems.append(f"replica {name} is {found.state}, not streaming")
    required = max(expected_replicas, len(expected_names))
    if len(streaming) < required:
        states = ", ".join(f"{r.name}: {r.state}" for r in replicas) or "no replica connected"
        problems.append(f"{len(streaming)} replica(s) streaming from the primary {target}, {required} expected "
                        f"(pg_stat_replication: {states})")
    return problems


def lag_problems(target: str, replicas: list[ReplicaState], expected_names: list[str], max_lag_seconds: float,
                 max_lag_bytes: int) -> list[str]:
    """DAT-04: every replica's replay lag within both thresholds; an unmeasurable lag is a problem."""
    if not replicas:
        empty = f"no replica connected to the primary {target} (pg_stat_replication is empty)"
        return [f"{empty}: replication lag cannot be measured"]
    problems = []
    names = {r.name for r in replicas}
    problems += [f"replica {name} is not connected to the primary {target}: its lag cannot be measured"
                 for name in expected_names if name not in names]
    for replica in replicas:
        if replica.replay_behind_bytes is None:
            problems.append(f"replica {replica.name} ({replica.state}) has not reported a replay position: "
                            "its lag cannot be measured")
            continue
        if replica.replay_behind_bytes > max_lag_bytes:
            problems.append(f"replica {replica.name}: replay is {replica.replay_behind_bytes:.0f} bytes behind the "
                            f"primary, at most {max_lag_bytes} allowed (max_lag_bytes)")
        if replica.replay_lag_s is not None and replica.replay_lag_s > max_lag_seconds:
            problems.append(f"replica {replica.name}: replay lag {replica.replay_lag_s:.2f}s, at most "
                            f"{max_lag_seconds:g}s allowed (max_lag_seconds)")
    return problems
