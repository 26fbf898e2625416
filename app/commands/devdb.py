"""The embedded default database: a project-local PostgreSQL cluster.

``onemap db start`` gives every checkout its own PostGIS on a non-default port, with its
data under ``.onemap/``, so a newcomer needs no database administrator. PostgreSQL refuses
to run as root, so when we are root the cluster is owned and run by an unprivileged OS user.
``ONEMAP_DATABASE_URL`` bypasses all of this and points the project at any PostGIS.

``onemap db start --replica`` adds a hot standby of that cluster (docs/replica.md): a
streaming copy on the next port that answers reads, for ``ONEMAP_READ_DATABASE_URL``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from gis.db import LOCAL_DATABASE, LOCAL_SUPERUSER, local_port, local_url
from gis.errors import OnemapError

DATABASE = LOCAL_DATABASE
SUPERUSER = LOCAL_SUPERUSER
SERVICE_USER_CANDIDATES = ("postgres", "onemap")
# The physical replication slot the local standby streams through: the primary keeps
# every WAL segment the standby has not received, so a standby stopped for a while
# catches up on start instead of needing a new base backup (and the WAL it holds is
# released by `onemap db stop --replica --drop`).
REPLICA_SLOT = "onemap_replica"

# Settings for a developer/test cluster on a 2-core machine: enough connections for the
# ingest benchmark's 50 clients plus pools, and memory for bulk loads of the city scale.
CLUSTER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "'512MB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "timezone": "'Asia/Shanghai'",
    "log_timezone": "'Asia/Shanghai'",
    "jit": "off",
}


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def state_dir() -> Path:
    return Path(os.environ.get("ONEMAP_STATE_DIR", project_root() / ".onemap")).resolve()


port = local_port
url = local_url


def replica_port() -> int:
    """The local standby's port: ``ONEMAP_DB_REPLICA_PORT``, else the primary's plus one."""
    configured = os.environ.get("ONEMAP_DB_REPLICA_PORT")
    return int(configured) if configured else port() + 1


def replica_url() -> str:
    """DSN of the local standby (same roles and database as the primary: it is a copy)."""
    return f"postgresql://{SUPERUSER}@127.0.0.1:{replica_port()}/{DATABASE}"


class ClusterError(OnemapError):
    """The project-local cluster could not be set up, started or reached."""


def pg_bindir() -> Path:
    configured = os.environ.get("ONEMAP_PG_BINDIR")
    if configured:
        return Path(configured)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    for bindir in reversed(candidates):
        if (bindir / "pg_ctl").exists():
            return bindir
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found: run `make setup` (installs postgresql-15 and "
        "postgis) or set ONEMAP_PG_BINDIR"
    )


@dataclass(frozen=True)
class Layout:
    """Where the cluster lives and who runs it."""

    data_dir: Path
    socket_dir: Path
    log_file: Path
    run_as: str | None  # OS user to run the server as; None means the current user
    # The standby's own data directory and log, beside the primary's; it shares the
    # socket directory (the socket's name carries the port).
    replica_dir: Path
    replica_log: Path


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USER_CANDIDATES:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "onemap"],
        check=True,
    )
    return "onemap"


def _user_can_reach(user: str, path: Path) -> bool:
    probe = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", str(path)], capture_output=True
    )
    return probe.returncode == 0


def layout() -> Layout:
    """Decide the cluster's directories, creating them with the right owner."""
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    user = _service_user()
    home = state
    if user is not None and not _user_can_reach(user, state):
        # The checkout sits where the service user cannot go (e.g. under /root): keep the
        # cluster in /var/lib and leave a symlink in .onemap so it is still easy to find.
        digest = hashlib.sha1(str(state).encode()).hexdigest()[:12]
        home = Path("/var/lib/onemap") / digest
        home.mkdir(parents=True, exist_ok=True)
        link = state / "cluster"
        if not link.is_symlink():
            link.symlink_to(home)
    cluster_home = home / "cluster" if home == state else home
    cluster_home.mkdir(parents=True, exist_ok=True)
    for sub in ("pgdata", "run"):
        (cluster_home / sub).mkdir(exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (cluster_home, cluster_home / "pgdata", cluster_home / "run"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        (cluster_home / "pgdata").chmod(0o700)
    return Layout(
        data_dir=cluster_home / "pgdata",
        socket_dir=cluster_home / "run",
        log_file=cluster_home / "postgres.log",
        run_as=user,
        replica_dir=cluster_home / "replica",
        replica_log=cluster_home / "replica.log",
    )


def _run(lay: Layout, args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    command = args if lay.run_as is None else ["runuser", "-u", lay.run_as, "--", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise ClusterError(
            f"{Path(args[0]).name} failed ({result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}"
        )
    return result


def _initialised(lay: Layout) -> bool:
    return (lay.data_dir / "PG_VERSION").exists()


def _initdb(lay: Layout) -> None:
    bindir = pg_bindir()
    _run(
        lay,
        [
            str(bindir / "initdb"),
            "-D",
            str(lay.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
    )
    settings = "\n".join(f"{key} = {value}" for key, value in CLUSTER_SETTINGS.items())
    conf = lay.data_dir / "postgresql.auto.conf"
    extra = f"\n# onemap embedded cluster\n{settings}\nport = {port()}\n"
    extra += f"unix_socket_directories = '{lay.socket_dir}'\n"
    with conf.open("a") as handle:
        handle.write(extra)


def _serving(lay: Layout, data_dir: Path) -> bool:
    if not (data_dir / "PG_VERSION").exists():
        return False
    status = _run(lay, [str(pg_bindir() / "pg_ctl"), "status", "-D", str(data_dir)], False)
    return status.returncode == 0


def is_running() -> bool:
    lay = layout()
    return _serving(lay, lay.data_dir)


def replica_running() -> bool:
    lay = layout()
    return _serving(lay, lay.replica_dir)


def start(timeout_s: float = 60.0) -> str:
    """Start the cluster (initialising it first if needed) and ensure the database exists.

    Idempotent: a running cluster is left as it is. Returns the DSN.
    """
    lay = layout()
    if not _initialised(lay):
        _initdb(lay)
    if not is_running():
        _pg_ctl_start(lay, lay.data_dir, lay.log_file, timeout_s)
    _wait_ready(port(), timeout_s)
    _ensure_database()
    return url()


def _pg_ctl_start(lay: Layout, data_dir: Path, log_file: Path, timeout_s: float) -> None:
    try:
        _run(
            lay,
            [
                str(pg_bindir() / "pg_ctl"),
                "start",
                "-w",
                "-t",
                str(int(timeout_s)),
                "-D",
                str(data_dir),
                "-l",
                str(log_file),
            ],
        )
    except ClusterError as error:
        # pg_ctl only says "examine the log": bring the log's last words (a port
        # already taken by another checkout, say) into the message.
        tail = _log_tail(log_file)
        raise ClusterError(f"{error}\n{tail}" if tail else str(error)) from None


def start_replica(timeout_s: float = 120.0) -> str:
    """Start the primary (as :func:`start`) and a hot standby of it; returns the standby's DSN.

    The standby is a base backup of the primary (pg_basebackup -R: it knows where to
    stream from) in its own data directory, on :func:`replica_port`, run by the same OS
    user, streaming through the slot REPLICA_SLOT. Idempotent: a running standby is left
    as it is, a stopped one is started and catches up from the slot.
    """
    start(timeout_s)
    lay = layout()
    if not (lay.replica_dir / "PG_VERSION").exists():
        _base_backup(lay)
    if not replica_running():
        _pg_ctl_start(lay, lay.replica_dir, lay.replica_log, timeout_s)
    _wait_ready(replica_port(), timeout_s)
    return replica_url()


def _base_backup(lay: Layout) -> None:
    import psycopg

    with psycopg.connect(_admin_url(port()), autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('wal_level')").fetchone()
        if row is None or row[0] == "minimal":
            raise ClusterError(
                "the primary runs with wal_level = minimal: a standby needs wal_level = replica"
                " (the default; remove the override and restart with `onemap db stop`/`start`)"
            )
        slot = conn.execute(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (REPLICA_SLOT,)
        ).fetchone()
    # A copy left half-made by an interrupted backup is started over.
    if lay.replica_dir.exists():
        shutil.rmtree(lay.replica_dir)
    command = [
        str(pg_bindir() / "pg_basebackup"),
        "--pgdata",
        str(lay.replica_dir),
        # the initdb's pg_hba lets local connections replicate (trust, like every other)
        "--host",
        "127.0.0.1",
        "--port",
        str(port()),
        "--username",
        SUPERUSER,
        "--no-password",
        "--wal-method=stream",
        "--write-recovery-conf",
        "--checkpoint=fast",
        # the standby syncs its data directory once as it starts (below): not twice
        "--no-sync",
        "--slot",
        REPLICA_SLOT,
    ]
    if slot is None:
        command.append("--create-slot")
    _run(lay, command)
    # The copy carries the primary's settings (postgresql.auto.conf): the last word on
    # the port is the standby's. Feedback keeps the primary's vacuum from removing rows a
    # long read on the standby still needs, so reads are not cancelled by replay.
    with (lay.replica_dir / "postgresql.auto.conf").open("a") as handle:
        handle.write(
            "\n# onemap local standby\n"
            f"port = {replica_port()}\n"
            "hot_standby = on\n"
            "hot_standby_feedback = on\n"
            # one syncfs of the file system instead of an fsync per file of the copy
            "recovery_init_sync_method = syncfs\n"
        )


def _log_tail(log_file: Path, lines: int = 5) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _pg_ctl_stop(lay: Layout, data_dir: Path) -> None:
    if _serving(lay, data_dir):
        _run(lay, [str(pg_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data_dir)])


def stop() -> None:
    """Stop the standby (if any) and the primary; idempotent."""
    lay = layout()
    _pg_ctl_stop(lay, lay.replica_dir)
    _pg_ctl_stop(lay, lay.data_dir)


def stop_replica(drop: bool = False) -> None:
    """Stop the standby, leaving the primary running; idempotent. ``drop``: also delete its
    data directory and the primary's slot, so the primary no longer keeps WAL for it."""
    import psycopg

    lay = layout()
    _pg_ctl_stop(lay, lay.replica_dir)
    if not drop:
        return
    if lay.replica_dir.exists():
        shutil.rmtree(lay.replica_dir)
    if is_running():
        with psycopg.connect(_admin_url(port()), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                " WHERE slot_name = %s",
                (REPLICA_SLOT,),
            )


def status() -> dict[str, object]:
    lay = layout()
    return {
        "initialised": _initialised(lay),
        "running": is_running(),
        "port": port(),
        "data_dir": str(lay.data_dir),
        "run_as": lay.run_as or pwd.getpwuid(os.geteuid()).pw_name,
        "url": url(),
        "replica": {
            "initialised": (lay.replica_dir / "PG_VERSION").exists(),
            "running": replica_running(),
            "port": replica_port(),
            "data_dir": str(lay.replica_dir),
            "url": replica_url(),
        },
    }


def _admin_url(on_port: int) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{on_port}/postgres"


def _wait_ready(on_port: int, timeout_s: float) -> None:
    import psycopg

    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(_admin_url(on_port), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            last_error = exc
            time.sleep(0.2)
    raise ClusterError(f"cluster on port {on_port} did not accept connections: {last_error}")


def _ensure_database() -> None:
    import psycopg

    with psycopg.connect(_admin_url(port()), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
