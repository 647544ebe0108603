"""Test bed: a real PostgreSQL primary and a streaming replica on 127.0.0.1 (Debian package
`postgresql`: /usr/lib/postgresql/<version>/bin, else PATH).

    postgres_pair            session-scoped PostgresPair: primary + replica "replica-a",
                             streaming; roles: replicator (REPLICATION), launch_monitor
                             (pg_monitor) and launch_nosy (no pg_monitor), each with a password
    postgres_replica_stopped the pair with the replica stopped (restarted afterwards)
    postgres_replay_paused   WAL replay paused on the replica and WAL written on the primary
                             since (replay resumed afterwards)
    postgres_apply_delayed   the replica applies commits 2 s late (recovery_min_apply_delay)
                             while a writer commits on the primary every 0.1 s

postgres refuses to run as root: as root the servers run as the `postgres` system user (or
`nobody`) through setpriv, in a temporary folder owned by that user. Only TCP on 127.0.0.1
(no Unix socket). Startup is made fast: fsync off, small shared_buffers, initdb --no-sync.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testbed.support import free_port, port_open, require_binary, wait_until

DEBIAN_DIRS = tuple(sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True))
REPLICA_NAME = "replica-a"
MONITOR_ROLE = "launch_monitor"
NOSY_ROLE = "launch_nosy"
REPLICATOR_ROLE = "replicator"
SUPERUSER = "postgres"

_COMMON_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 40
shared_buffers = 16MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 4
wal_keep_size = 64MB
hot_standby = on
wal_receiver_status_interval = 1s
log_min_messages = warning
{extra}
"""


def _binary(name: str) -> str:
    """The Debian path first (what CI installs), then PATH (e.g. /usr/local/bin)."""
    for directory in DEBIAN_DIRS:
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return require_binary(name, "postgresql", DEBIAN_DIRS)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        message = "psycopg is not installed: pip install -e '.[test]' (psycopg[binary])"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return psycopg


def _tolerant(predicate: Callable[[], bool]) -> Callable[[], bool]:
    """`predicate` for wait_until, with a transient connection error (a server restarting, too
    many clients under load) counted as "not yet" instead of ending the wait."""
    def poll() -> bool:
        try:
            return predicate()
        except _psycopg().OperationalError:
            return False

    return poll


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix that drops root, and the uid/gid owning the server's files."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        setpriv = require_binary("setpriv", "util-linux")
        return ([setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--"],
                entry.pw_uid, entry.pw_gid)
    pytest.skip("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
    raise AssertionError("unreachable")


@dataclasses.dataclass
class PostgresServer:
    name: str
    port: int
    data: Path
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=log)

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"postgres {self.name} exited: " + self.log.read_text(errors="replace")[-2000:])
            return port_open(self.port)

        wait_until(ready, timeout=30, what=f"postgres {self.name}", log=self.log)

    def stop(self) -> None:
        """Fast shutdown (SIGINT), by this server's own pid."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(2)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclasses.dataclass
class PostgresPair:
    primary: PostgresServer
    replica: PostgresServer
    directory: Path
    passwords: dict[str, str]   # role -> password
    replica_name: str = REPLICA_NAME

    def dsn(self, role: str = MONITOR_ROLE, port: int | None = None, password: str | None = None) -> str:
        """A libpq key=value DSN (password included: for the test bed's own connections)."""
        secret = self.passwords[role] if password is None else password
        return (f"host=127.0.0.1 port={port or self.primary.port} dbname=postgres user={role} "
                f"password={secret} connect_timeout=5")

    def dsn_template(self, role: str = MONITOR_ROLE, port: int | None = None,
                     variable: str = "PG_MONITOR_PASSWORD") -> str:
        """The DSN as an environment file writes it: the password through ${VARIABLE}."""
        return (f"host=127.0.0.1 port={port or self.primary.port} dbname=postgres user={role} "
                f"password=${{{variable}}}")

    def connect(self, on: str = "primary") -> Any:
        server = self.primary if on == "primary" else self.replica
        return _psycopg().connect(self.dsn(SUPERUSER, server.port), autocommit=True)

    def query(self, sql: str, on: str = "primary", params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.connect(on) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def write(self, rows: int = 100) -> None:
        """Commit `rows` rows of about 100 bytes on the primary (WAL for the replica)."""
        self.query("CREATE TABLE IF NOT EXISTS launch_probe (id bigserial PRIMARY KEY, body text)")
        self.query("INSERT INTO launch_probe (body) SELECT repeat('x', 100) FROM generate_series(1, %s)",
                   params=(rows,))

    def replication(self) -> list[tuple[Any, ...]]:
        """(application_name, state, bytes not yet replayed, bytes not yet flushed) per replica."""
        return self.query("SELECT application_name, state, "
                          "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8, "
                          "pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::float8 FROM pg_stat_replication")

    def wait_streaming_and_caught_up(self, timeout: float = 30.0) -> None:
        def caught_up() -> bool:
            rows = self.replication()
            return any(r[0] == self.replica_name and r[1] == "streaming" and r[2] == 0 for r in rows)

        wait_until(_tolerant(caught_up), timeout=timeout, what="the replica streaming and caught up", log=self.replica.log)

    def stop_replica(self) -> None:
        self.replica.stop()
        wait_until(_tolerant(lambda: not self.replication()), timeout=15, what="the primary noticing the stopped replica")

    def start_replica(self) -> None:
        self.replica.start()
        self.wait_streaming_and_caught_up()


def _write_conf(data: Path, port: int, extra: str = "") -> None:
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(_COMMON_CONF.format(port=port, extra=extra))


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}): {(done.stdout + done.stderr).decode(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def postgres_pair() -> Iterator[PostgresPair]:
    initdb, postgres, basebackup = _binary("initdb"), _binary("postgres"), _binary("pg_basebackup")
    _psycopg()
    prefix, uid, gid = _run_as()
    directory = Path(tempfile.mkdtemp(prefix="launch-pg-"))
    passwords = {role: secrets.token_urlsafe(18) for role in (SUPERUSER, REPLICATOR_ROLE, MONITOR_ROLE, NOSY_ROLE)}
    ports = free_port(), free_port()
    primary_data, replica_data = directory / "primary", directory / "replica"
    pair = PostgresPair(
        PostgresServer("primary", ports[0], primary_data, [*prefix, postgres, "-D", str(primary_data)],
                       directory / "primary.log"),
        PostgresServer("replica", ports[1], replica_data, [*prefix, postgres, "-D", str(replica_data)],
                       directory / "replica.log"),
        directory, passwords)
    try:
        pwfile = directory / "superuser.pw"
        pwfile.write_text(passwords[SUPERUSER] + "\n")
        if uid is not None and gid is not None:
            for path in (directory, pwfile):
                os.chown(path, uid, gid)
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C", "LC_ALL": "C", "HOME": str(directory)}
        _run([*prefix, initdb, "-D", str(primary_data), "-U", SUPERUSER, f"--pwfile={pwfile}",
              "--auth-host=scram-sha-256", "--auth-local=reject", "-E", "UTF8", "--locale=C", "--no-sync",
              "--no-instructions"], "initdb", env)
        # initdb's pg_hba.conf already allows `host all all` and `host replication all` from
        # 127.0.0.1/32 with scram-sha-256 (--auth-host)
        _write_conf(primary_data, ports[0])
        pair.primary.start()

        # "the database system is starting up" until it is not
        wait_until(_tolerant(lambda: bool(pair.query("SELECT 1"))), timeout=30,
                   what="postgres primary accepting logins", log=pair.primary.log)
        pair.query(f"CREATE ROLE {REPLICATOR_ROLE} WITH REPLICATION LOGIN PASSWORD {_literal(passwords[REPLICATOR_ROLE])}")
        pair.query(f"CREATE ROLE {MONITOR_ROLE} WITH LOGIN PASSWORD {_literal(passwords[MONITOR_ROLE])}")
        pair.query(f"GRANT pg_monitor TO {MONITOR_ROLE}")
        pair.query(f"CREATE ROLE {NOSY_ROLE} WITH LOGIN PASSWORD {_literal(passwords[NOSY_ROLE])}")
        _run([*prefix, basebackup, "-h", "127.0.0.1", "-p", str(ports[0]), "-U", REPLICATOR_ROLE,
              "-D", str(replica_data), "-R", "-X", "stream", "-c", "fast", "--no-sync", "-w"],
             "pg_basebackup", dict(env, PGPASSWORD=passwords[REPLICATOR_ROLE]))
        # the walreceiver's application_name is the replica's cluster_name
        _write_conf(replica_data, ports[1], f"cluster_name = '{REPLICA_NAME}'")
        pair.start_replica()
        yield pair
    finally:
        pair.replica.stop()
        pair.primary.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.fixture
def postgres_replica_stopped(postgres_pair: PostgresPair) -> Iterator[PostgresPair]:
    postgres_pair.stop_replica()
    try:
        yield postgres_pair
    finally:
        postgres_pair.start_replica()


@pytest.fixture
def postgres_replay_paused(postgres_pair: PostgresPair) -> Iterator[PostgresPair]:
    """Replay paused on the replica, then about 100 kB of WAL committed on the primary, received
    and flushed by the replica (so only replay is behind)."""
    pair = postgres_pair
    pair.query("SELECT pg_wal_replay_pause()", on="replica")
    try:
        wait_until(_tolerant(lambda: pair.query("SELECT pg_get_wal_replay_pause_state()", on="replica")[0][0] == "paused"),
                   timeout=10, what="WAL replay paused")
        pair.write(rows=500)

        def flushed_not_replayed() -> bool:
            rows = [r for r in pair.replication() if r[0] == pair.replica_name]
            return bool(rows) and rows[0][3] == 0 and rows[0][2] > 8192

        wait_until(_tolerant(flushed_not_replayed), timeout=15, what="the replica flushing WAL it does not replay")
        yield pair
    finally:
        pair.query("SELECT pg_wal_replay_resume()", on="replica")
        pair.wait_streaming_and_caught_up()


@pytest.fixture
def postgres_apply_delayed(postgres_pair: PostgresPair) -> Iterator[PostgresPair]:
    """The replica applies each commit 2 s late while commits keep coming: replay_lag about 2 s."""
    pair = postgres_pair
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            with contextlib.suppress(_psycopg().Error):  # a failed write only delays the lag awaited
                pair.write(rows=1)
            stop.wait(0.1)

    with pair.connect("replica") as conn:
        conn.execute("ALTER SYSTEM SET recovery_min_apply_delay = '2s'")
        conn.execute("SELECT pg_reload_conf()")
    wait_until(_tolerant(lambda: pair.query("SHOW recovery_min_apply_delay", on="replica")[0][0] == "2s"),
               timeout=10, what="recovery_min_apply_delay in effect on the replica")
    delayed_since = pair.query("SELECT now()")[0][0]
    thread = threading.Thread(target=writer, name="pg-writer", daemon=True)
    thread.start()
    try:
        def lagging() -> bool:
            # a commit made after the delay took effect has been replayed (2 s late), so the
            # primary's replay_lag now comes from delayed commits, not from earlier samples
            replayed = pair.query("SELECT pg_last_xact_replay_timestamp()", on="replica")[0][0]
            found = pair.query("SELECT EXTRACT(EPOCH FROM replay_lag)::float8 FROM pg_stat_replication "
                               "WHERE application_name = %s", params=(pair.replica_name,))
            return (replayed is not None and replayed > delayed_since and bool(found)
                    and found[0][0] is not None and found[0][0] >= 1.5)

        wait_until(_tolerant(lagging), timeout=20, what="replay_lag above 1.5 s")
        yield pair
    finally:
        stop.set()
        thread.join(timeout=5)
        with pair.connect("replica") as conn:
            conn.execute("ALTER SYSTEM RESET recovery_min_apply_delay")
            conn.execute("SELECT pg_reload_conf()")
        pair.wait_streaming_and_caught_up()
