"""The reference topology on one machine, on loopback: every tier of a production deployment.

    .venv/bin/python deploy/topology.py up [--workdir var/topology] [--base-port 9400] [--seed]
    .venv/bin/python deploy/topology.py start|status|stop [--workdir var/topology]

Processes (ports relative to the base port B), each in its own process group, each logging to
<workdir>/logs/<name>.log:

- postgres      PostgreSQL, its own cluster in <workdir>/pg (run as user postgres when we are root), B+5
- redis         redis-server without persistence (cache, rate limits, task queues), B+6
- s3            moto's S3 server standing in for the object storage, bucket "idx", B+7
- portal-1/-2   ``idx serve`` with IDX_ROLE=portal, B+11 and B+12
- backoffice-1  ``idx serve`` with IDX_ROLE=backoffice on 127.0.0.1 (the internal address), B+21
- worker-1/-2   ``idx worker`` with IDX_ROLE=worker, the RQ backend, every queue
- haproxy       portal frontend on B, back-office frontend on B+1, stats on B+2 (CSV: /;csv)

Settings: the nodes run ``idx.settings.dev`` with debugging off. Production settings refuse the
demo's stand-ins (the demo identity provider that signs applications, demo payments, the LINE
stand-in) and force HTTPS cookies and redirects, while this topology speaks plain HTTP on loopback
and its journeys sign with the demo identity provider. Everything else is as in production: a
shared secret key, PostgreSQL, Redis for the cache and the queues, object storage, JSON logs,
Prometheus' multiprocess folders, separate roles behind a load balancer with health checks.

Importable: ``sys.path.insert(0, "deploy"); from topology import Topology``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HAPROXY = "/usr/sbin/haproxy"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
BUCKET = "idx"
S3_ACCESS_KEY = "IDXTOPOLOGYACCESSKEY"
S3_SECRET_KEY = "idx-topology-secret-access-key"  # noqa: S105 - moto's stand-in accepts any
S3_REGION = "ap-northeast-1"
DEMO_PASSWORD = "idx-demo-2026"  # noqa: S105 - the demo accounts' published password
STATE_FILE = "state.json"
# Migrated (and seeded) databases kept between runs: a start from the cache takes seconds.
CACHE_ROOT = Path(os.environ.get("IDX_TOPOLOGY_CACHE", REPO / "var" / "topology-cache"))

# Offsets from the base port.
PORTAL_LB, BACKOFFICE_LB, STATS = 0, 1, 2
POSTGRES, REDIS, S3 = 5, 6, 7
# gunicorn workers of each web node (also each node's maxconn at the balancer).
WEB_WORKERS = 2
PORTAL_NODES = (11, 12)
BACKOFFICE_NODES = (21,)
ALL_OFFSETS = (PORTAL_LB, BACKOFFICE_LB, STATS, POSTGRES, REDIS, S3, *PORTAL_NODES, *BACKOFFICE_NODES)

# Rate limits stay on, far above what one machine's journeys and load tests send from one address.
GENEROUS_LIMITS = {
    f"IDX_RATELIMIT_{name}": value
    for name, value in {
        "SIGN_IN": "100000/10m",
        "SIGN_IN_ACCOUNT": "100000/10m",
        "SIGN_UP": "100000/1h",
        "SIGN_UP_ACCOUNT": "100000/1h",
        "SUBMIT": "100000/10m",
        "SUBMIT_ACCOUNT": "100000/10m",
        "INQUIRY": "100000/1h",
        "INQUIRY_ACCOUNT": "100000/1h",
        "API": "1000000/1m",
        "API_ACCOUNT": "1000000/1m",
    }.items()
}


@dataclass
class Node:
    """One process of the topology (its process group id is its pid)."""

    name: str
    role: str  # postgres, redis, s3, portal, backoffice, worker, haproxy
    port: int | None
    pid: int | None = None
    log_path: Path = field(default_factory=Path)
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is fine
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_base_port(start: int = 20000, stop: int = 60000) -> int:
    """A base port whose every offset is free now (random start, so parallel runs rarely meet)."""
    import random

    for _ in range(200):
        base = random.randrange(start, stop, 50)  # noqa: S311 - not a secret
        if all(port_free(base + offset) for offset in ALL_OFFSETS):
            return base
    raise RuntimeError("no free range of ports for the topology")


def _pg_bin() -> Path:
    versions = sorted(
        (path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "postgres").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return versions[-1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie of ours counts as gone.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _wait_port(
    port: int, timeout: float, what: str, process: subprocess.Popen[bytes] | None, log: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{_tail(log)}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f}s:\n{_tail(log)}")


def _tail(path: Path, size: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no log)"
    return data[-size:].decode("utf-8", "replace")


class Topology:
    """Start, inspect, break and stop the reference topology (see the module's docstring)."""

    def __init__(
        self,
        workdir: Path | str = "var/topology",
        base_port: int = 9400,
        seed: bool = False,
        *,
        applications: int = 20,
        email_port: int | None = None,
        settings: str = "idx.settings.dev",
        extra_env: dict[str, str] | None = None,
        use_cache: bool = True,
    ) -> None:
        self.workdir = Path(workdir).resolve()
        self.base_port = base_port
        self.seed = seed
        self.applications = applications
        self.email_port = email_port
        self.settings = settings
        self.extra_env = dict(extra_env or {})
        self.use_cache = use_cache
        self.nodes: dict[str, Node] = {}
        self.secret_key = ""
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.timings: dict[str, float] = {}
        B = base_port  # noqa: N806
        self.portal_url = f"http://127.0.0.1:{B + PORTAL_LB}"
        self.backoffice_url = f"http://127.0.0.1:{B + BACKOFFICE_LB}"
        self.stats_url = f"http://127.0.0.1:{B + STATS}"
        self.database_url = f"postgres://postgres@127.0.0.1:{B + POSTGRES}/idx"
        self.redis_url = f"redis://127.0.0.1:{B + REDIS}"
        self.s3_endpoint = f"http://127.0.0.1:{B + S3}"
        self.bucket = BUCKET
        self.logs = self.workdir / "logs"
        self.run_dir = self.workdir / "run"
        self.data_dir = self.workdir / "data"
        self.pg_dir = self.workdir / "pg"

    # ---- context manager ----------------------------------------------------------------

    def __enter__(self) -> Topology:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- environment --------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The environment every IDX process of the topology shares (for `idx manage ...` too)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("IDX_", "DJANGO_", "DATABASE_URL", "PROMETHEUS_"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": self.settings,
                "IDX_DEBUG": "false",
                "IDX_SECRET_KEY": self.secret_key,
                "IDX_DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "IDX_CACHE_URL": f"{self.redis_url}/1",
                "IDX_TASK_BACKEND": "rq",
                "IDX_REDIS_URL": f"{self.redis_url}/0",
                "IDX_PUBLIC_URL": self.portal_url,
                # The back-office frontend is another origin of the same deployment.
                "IDX_CSRF_TRUSTED_ORIGINS": ",".join(
                    [self.portal_url, f"http://*.localhost:{self.base_port + PORTAL_LB}", self.backoffice_url]
                ),
                "IDX_PROXY_COUNT": "1",  # HAProxy adds X-Forwarded-For
                "IDX_STORAGE": "s3",
                "IDX_S3_BUCKET": self.bucket,
                "IDX_S3_ENDPOINT_URL": self.s3_endpoint,
                "IDX_S3_REGION": S3_REGION,
                "IDX_S3_ACCESS_KEY_ID": S3_ACCESS_KEY,
                "IDX_S3_SECRET_ACCESS_KEY": S3_SECRET_KEY,
                "IDX_LOG_FORMAT": "json",
                "IDX_WEB_WORKERS": str(WEB_WORKERS),
                "PYTHONUNBUFFERED": "1",
                **GENEROUS_LIMITS,
            }
        )
        if self.email_port:
            env.update(
                {
                    "IDX_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "IDX_EMAIL_HOST": "127.0.0.1",
                    "IDX_EMAIL_PORT": str(self.email_port),
                    "IDX_EMAIL_USE_TLS": "false",
                }
            )
        else:
            env["IDX_EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
        env.update(self.extra_env)
        return env

    # ---- node definitions ---------------------------------------------------------------

    def _define_nodes(self) -> None:
        B = self.base_port  # noqa: N806
        pg_bin = _pg_bin()
        self.nodes = {}

        def add(
            name: str, role: str, port: int | None, command: list[str], env: dict[str, str] | None = None
        ) -> None:
            self.nodes[name] = Node(name, role, port, None, self.logs / f"{name}.log", command, env or {})

        add(
            "postgres",
            "postgres",
            B + POSTGRES,
            _as_postgres(
                [
                    str(pg_bin / "postgres"),
                    "-D",
                    str(self.pg_dir),
                    "-p",
                    str(B + POSTGRES),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "max_connections=300",
                    # A test bed: without fsync a killed server still loses nothing (each commit's
                    # WAL is written to the OS before the commit is answered; only a machine crash
                    # would lose it), and start-up and migrations are several times faster. Never
                    # synchronous_commit=off here: a commit would be answered before its WAL left
                    # the server's memory, and a killed server would lose answered submissions.
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                ]
            ),
        )
        add(
            "redis",
            "redis",
            B + REDIS,
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(B + REDIS),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.run_dir),
            ],
        )
        add("s3", "s3", B + S3, [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(B + S3)])
        base_env = self.env()
        web_nodes = [(f"portal-{i}", "portal", B + off) for i, off in enumerate(PORTAL_NODES, start=1)]
        web_nodes += [
            (f"backoffice-{i}", "backoffice", B + off) for i, off in enumerate(BACKOFFICE_NODES, start=1)
        ]
        for name, role, port in web_nodes:
            env = {
                **base_env,
                "IDX_ROLE": role,
                "IDX_BIND": f"127.0.0.1:{port}",
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus" / name),
            }
            add(name, role, port, [PYTHON, "-m", "idx.cli", "serve"], env)
        for index in (1, 2):
            name = f"worker-{index}"
            env = {
                **base_env,
                "IDX_ROLE": "worker",
                "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / "prometheus" / name),
            }
            add(name, "worker", None, [PYTHON, "-m", "idx.cli", "worker"], env)
        add("haproxy", "haproxy", B + PORTAL_LB, [HAPROXY, "-db", "-f", str(self.workdir / "haproxy.cfg")])

    # ---- starting -----------------------------------------------------------------------

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        node = self.nodes[name]
        node.log_path.parent.mkdir(parents=True, exist_ok=True)
        if node.env.get("PROMETHEUS_MULTIPROC_DIR"):
            folder = Path(node.env["PROMETHEUS_MULTIPROC_DIR"])
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        log = node.log_path.open("ab")
        try:
            process = subprocess.Popen(  # noqa: S603
                node.command,
                env=node.env or self._plain_env(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed as a whole
            )
        finally:
            log.close()
        node.pid = process.pid
        self._processes[name] = process
        (self.run_dir / f"{name}.pid").write_text(f"{process.pid}\n")
        self._save_state()
        return process

    def _plain_env(self) -> dict[str, str]:
        return {key: value for key, value in os.environ.items() if not key.startswith(("IDX_", "DJANGO_"))}

    def _wait_ready(self, name: str, timeout: float = 60) -> None:
        node = self.nodes[name]
        process = self._processes.get(name)
        if node.role in ("portal", "backoffice"):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}):\n{_tail(node.log_path)}")
                if _http_ok(f"http://127.0.0.1:{node.port}/readyz"):
                    return
                time.sleep(0.2)
            raise RuntimeError(f"{name} was not ready within {timeout:.0f}s:\n{_tail(node.log_path)}")
        if node.role == "worker":
            time.sleep(0.5)
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{_tail(node.log_path)}")
            return
        assert node.port is not None
        _wait_port(node.port, timeout, name, process, node.log_path)
        if name == "postgres":
            self._wait_postgres(timeout)

    def _wait_postgres(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self._admin_url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.base_port + POSTGRES}/postgres"

    def start_node(self, name: str, wait: bool = True) -> Node:
        """(Re)start one process; a process of the same name still running is killed first."""
        if not self.nodes:
            self._load_state()
        self._refresh_pids()
        node = self.nodes[name]
        if node.pid and _group_alive(node.pid):
            self.kill(name, signal.SIGKILL)
        if name == "postgres":
            self._prepare_postgres_restart()
        self._spawn(name)
        if wait:
            self._wait_ready(name)
        return node

    def _refresh_pids(self) -> None:
        """The pid files are the truth: another process (a fault script attached to this workdir)
        may have restarted a node since this object started it."""
        for name, node in self.nodes.items():
            try:
                pid = int((self.run_dir / f"{name}.pid").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if pid != node.pid:
                node.pid = pid
                self._processes.pop(name, None)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send a signal to one process's whole group (its gunicorn workers, postgres' backends)."""
        if not self.nodes:
            self._load_state()
        self._refresh_pids()
        node = self.nodes[name]
        if not node.pid:
            return
        _signal_group(node.pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
            deadline = time.monotonic() + 10
            process = self._processes.get(name)
            while time.monotonic() < deadline:
                if process is not None:
                    process.poll()
                if not _group_alive(node.pid):
                    break
                time.sleep(0.05)

    def _prepare_postgres_restart(self) -> None:
        # The shared memory of a killed postmaster is gone with its group; its pid file is stale.
        pid_file = self.pg_dir / "postmaster.pid"
        if pid_file.exists():
            try:
                pid = int(pid_file.read_text().split()[0])
            except (ValueError, IndexError):
                pid = 0
            if not _alive(pid):
                pid_file.unlink(missing_ok=True)

    def _init_workdir(self) -> None:
        if (self.workdir / STATE_FILE).exists():
            stop_workdir(self.workdir)  # a previous run left processes or state behind
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o711)  # PostgreSQL's user passes through to its cluster (pg/)
        for folder in (self.logs, self.run_dir, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for old in self.logs.glob("*.log"):
            old.unlink()
        secret_file = self.workdir / "secret-key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
            secret_file.chmod(0o600)
        self.secret_key = secret_file.read_text().strip()

    def _initdb(self) -> None:
        if (self.pg_dir / "PG_VERSION").exists():
            return
        self._pg_dir_prepare()
        self._run_initdb()

    def _pg_dir_prepare(self) -> None:
        if os.geteuid() == 0:
            import pwd

            postgres = pwd.getpwnam("postgres")
            target = self._postgres_reachable_dir()
            target.mkdir(parents=True, exist_ok=True)
            os.chown(target, postgres.pw_uid, postgres.pw_gid)
            target.chmod(0o700)
            if target != self.pg_dir:
                if self.pg_dir.is_symlink():
                    self.pg_dir.unlink()
                self.pg_dir.symlink_to(target)
        else:
            self.pg_dir.mkdir(parents=True, exist_ok=True)
            self.pg_dir.chmod(0o700)

    def _run_initdb(self) -> None:
        log = self.logs / "initdb.log"
        with log.open("wb") as out:
            result = subprocess.run(  # noqa: S603
                _as_postgres(
                    [
                        str(_pg_bin() / "initdb"),
                        "-D",
                        str(self.pg_dir),
                        "-U",
                        "postgres",
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                        "--no-sync",
                    ]
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd="/",
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{_tail(log)}")

    def _postgres_reachable_dir(self) -> Path:
        """<workdir>/pg when the postgres user can reach it; else a folder of its own in the
        system's temporary folder, linked from <workdir>/pg (pytest's temporary folders are 0700)."""
        for parent in [self.workdir, *self.workdir.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                break
        else:
            return self.pg_dir
        link_target = Path(tempfile.mkdtemp(prefix="idx-topology-pg-"))
        link_target.chmod(0o711)
        (self.workdir / "pg-outside").write_text(str(link_target))
        return link_target / "data"

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = 'idx'").fetchone()
            if not exists:
                connection.execute("CREATE DATABASE idx")

    def _create_bucket(self) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
        )
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(
                Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
            )

    def s3_client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
        )

    def _compile_messages(self) -> None:
        """The translations' compiled catalogues (build output, not in git) when any is missing or old."""
        catalogues = list((REPO / "src" / "idx" / "locale").glob("*/LC_MESSAGES/*.po"))
        stale = [
            po
            for po in catalogues
            if not po.with_suffix(".mo").exists()
            or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        ]
        if stale:
            self._idx(
                "manage",
                "compilemessages",
                "--verbosity",
                "0",
                log_name="setup",
                env=self._plain_env() | {"DJANGO_SETTINGS_MODULE": "idx.settings.test"},
            )

    def _write_haproxy_config(self) -> None:
        B = self.base_port  # noqa: N806
        portals = "\n".join(
            f"    server portal-{i} 127.0.0.1:{B + off} check" for i, off in enumerate(PORTAL_NODES, start=1)
        )
        backoffices = "\n".join(
            f"    server backoffice-{i} 127.0.0.1:{B + off} check"
            for i, off in enumerate(BACKOFFICE_NODES, start=1)
        )
        config = f"""\
# Generated by deploy/topology.py for this workdir; deploy/haproxy.cfg is the reference.
global
    maxconn 4096
    pidfile {self.run_dir / "haproxy.haproxy-pid"}
    stats socket {self.run_dir / "haproxy.sock"} mode 600 level admin

defaults
    mode http
    log stdout format raw local0 info
    option httplog
    option forwardfor
    timeout connect 2s
    timeout client 60s
    timeout server 30s
    timeout queue 10s
    timeout http-request 10s
    timeout check 5s
    # Health checks on /readyz every second: down after 3 failures, up again after 2 successes.
    # maxconn = the node's gunicorn workers: the balancer queues what the node cannot take at once,
    # so a node busy for a moment is not taken for a dead one (the check never waits behind a
    # backlog inside the node) and requests go to whichever node frees a worker first.
    default-server inter 1s fall 3 rise 2 maxconn {WEB_WORKERS}
    # A request that found its node dead (refused, reset, no answer in time) goes to the other node.
    # Past the connection, only safe methods are sent again (disable-l7-retry in each backend):
    # a POST that reached a node that then died is answered 502, never submitted twice.
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend portal
    bind 127.0.0.1:{B + PORTAL_LB}
    # The balancer's own 503 (no node ready) says when to come back, as the nodes' own 503 does.
    http-after-response set-header Retry-After 5 if {{ status 503 }} !{{ res.hdr(Retry-After) -m found }}
    default_backend portal

frontend backoffice
    bind 127.0.0.1:{B + BACKOFFICE_LB}
    # The balancer's own 503 (no node ready) says when to come back, as the nodes' own 503 does.
    http-after-response set-header Retry-After 5 if {{ status 503 }} !{{ res.hdr(Retry-After) -m found }}
    default_backend backoffice

frontend stats
    bind 127.0.0.1:{B + STATS}
    stats enable
    stats uri /
    stats refresh 5s

backend portal
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    http-request disable-l7-retry unless {{ method GET HEAD OPTIONS }}
{portals}

backend backoffice
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    http-request disable-l7-retry unless {{ method GET HEAD OPTIONS }}
{backoffices}
"""
        (self.workdir / "haproxy.cfg").write_text(config)

    def _idx(self, *args: str, log_name: str, env: dict[str, str] | None = None) -> None:
        log = self.logs / f"{log_name}.log"
        with log.open("ab") as out:
            result = subprocess.run(  # noqa: S603
                [PYTHON, "-m", "idx.cli", *args],
                env=env or self.env(),
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(f"`idx {' '.join(args)}` failed ({result.returncode}):\n{_tail(log)}")

    def start(self) -> None:
        """Start everything; returns when the load balancer answers /readyz through both frontends.
        Whatever was started is stopped again if anything fails (or on Ctrl-C)."""
        began = time.monotonic()
        try:
            self._init_workdir()
            for offset in ALL_OFFSETS:
                if not port_free(self.base_port + offset):
                    raise RuntimeError(
                        f"port {self.base_port + offset} is taken (base port {self.base_port})"
                    )
            self._define_nodes()
            self._save_state()
            self._compile_messages()
            restored = self.use_cache and self._cache_restore_files()
            if not restored:
                self._initdb()
            for name in ("postgres", "redis", "s3"):
                self._spawn(name)
            for name in ("postgres", "redis", "s3"):
                self._wait_ready(name)
            self._create_database()
            self._create_bucket()
            self.timings["backing_services"] = time.monotonic() - began
            if restored:
                self._cache_restore_data()
                self.timings["restored"] = time.monotonic() - began
            else:
                self._idx("manage", "migrate", "--verbosity", "0", log_name="setup")
                self._idx("manage", "collectstatic", "--no-input", "--verbosity", "0", log_name="setup")
                self.timings["migrate"] = time.monotonic() - began
                if self.seed:
                    self._idx(
                        "manage", "demo_load", "--applications", str(self.applications), log_name="setup"
                    )
                    self.timings["seed"] = time.monotonic() - began
                if self.use_cache:
                    self._cache_save()
                    self.timings["cached"] = time.monotonic() - began
            web = [name for name, node in self.nodes.items() if node.role in ("portal", "backoffice")]
            workers = [name for name, node in self.nodes.items() if node.role == "worker"]
            for name in web + workers:
                self._spawn(name)
            for name in web + workers:
                self._wait_ready(name)
            self._write_haproxy_config()
            self._spawn("haproxy")
            self._wait_ready("haproxy")
            self._wait_balancer()
            self.timings["ready"] = time.monotonic() - began
            self._save_state()
        except BaseException:
            self.stop()
            raise

    # ---- the cache of a migrated (and seeded) database ---------------------------------------

    def _cache_key(self) -> str:
        """Changes with every migration, the demo's data and code, the seed's size and PostgreSQL."""
        import hashlib

        digest = hashlib.sha256()
        source = REPO / "src" / "idx"
        files = sorted(source.glob("*/migrations/*.py"))
        if self.seed:
            files += sorted((source / "demo").rglob("*"))
            files += sorted((source / "procedures" / "definitions").rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(source)).encode())
                digest.update(path.read_bytes())
        digest.update(f"{self.seed}:{self.applications}:{self.settings}:{_pg_bin()}".encode())
        return digest.hexdigest()[:16]

    def _cache_dir(self) -> Path:
        return CACHE_ROOT / self._cache_key()

    def _cache_restore_files(self) -> bool:
        """Start from the cached database cluster and data folder instead of migrating and seeding
        again; the stored files and this base port follow once the servers run."""
        cache = self._cache_dir()
        if not (cache / "complete").exists():
            return False
        if self.pg_dir.exists():
            shutil.rmtree(self.pg_dir.resolve(), ignore_errors=True)
        self._pg_dir_prepare()
        subprocess.run(["cp", "-a", f"{cache / 'pg'}/.", str(self.pg_dir.resolve())], check=True)  # noqa: S603, S607
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.copytree(cache / "data", self.data_dir, symlinks=True)
        shutil.copy2(cache / "secret-key", self.workdir / "secret-key")
        self.secret_key = (self.workdir / "secret-key").read_text().strip()
        self._define_nodes()  # with that secret key
        return True

    def _cache_restore_data(self) -> None:
        import psycopg
        from psycopg import sql

        cache = self._cache_dir()
        old_port = int(json.loads((cache / "complete").read_text())["base_port"])
        if old_port != self.base_port:
            # The demo's stored addresses (municipalities, the payment service, the identity
            # providers and their clients) name the base port: move every one of them, except in
            # the audit log, whose entries are hashed as they were written.
            pattern, replacement = rf":{old_port}(?![0-9])", f":{self.base_port}"
            with psycopg.connect(
                self.database_url.replace("postgres://", "postgresql://"), autocommit=True
            ) as db:
                columns = db.execute(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND table_name NOT LIKE 'audit%%' "
                    "AND data_type IN ('text', 'character varying', 'jsonb')"
                ).fetchall()
                update_text = sql.SQL("UPDATE {t} SET {c} = regexp_replace({c}, %s, %s, 'g') WHERE {c} ~ %s")
                update_json = sql.SQL(
                    "UPDATE {t} SET {c} = regexp_replace({c}::text, %s, %s, 'g')::jsonb WHERE {c}::text ~ %s"
                )
                for table, column, data_type in columns:
                    update = update_json if data_type == "jsonb" else update_text
                    db.execute(
                        update.format(t=sql.Identifier(table), c=sql.Identifier(column)),
                        (pattern, replacement, pattern),
                    )
        client = self.s3_client()
        objects = cache / "s3"
        for path in sorted(objects.rglob("*")) if objects.exists() else []:
            if path.is_file():
                client.upload_file(str(path), self.bucket, str(path.relative_to(objects)))

    def _cache_save(self) -> None:
        """Keep this run's migrated (and seeded) state for the next start (the newest key only)."""
        cache = self._cache_dir()
        if (cache / "complete").exists():
            return
        CACHE_ROOT.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=CACHE_ROOT))
        try:
            self.kill("postgres", signal.SIGINT)  # a clean shutdown: the copy starts without recovery
            subprocess.run(["cp", "-a", str(self.pg_dir.resolve()), str(building / "pg")], check=True)  # noqa: S603, S607
            self.start_node("postgres")
            shutil.copytree(self.data_dir, building / "data", symlinks=True)
            shutil.copy2(self.workdir / "secret-key", building / "secret-key")
            client = self.s3_client()
            paginator = client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    target = building / "s3" / item["Key"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    client.download_file(self.bucket, item["Key"], str(target))
            (building / "complete").write_text(json.dumps({"base_port": self.base_port}))
            for old in CACHE_ROOT.iterdir():
                if old.is_dir() and not old.name.startswith(".") and old.name != cache.name:
                    shutil.rmtree(old, ignore_errors=True)
            with contextlib.suppress(OSError):  # another run may have cached the same state meanwhile
                building.rename(cache)
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def _wait_balancer(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _http_ok(f"{self.portal_url}/readyz") and _http_ok(f"{self.backoffice_url}/readyz"):
                return
            if self._processes["haproxy"].poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(
            f"the load balancer did not answer /readyz:\n{_tail(self.nodes['haproxy'].log_path)}"
        )

    # ---- inspecting ---------------------------------------------------------------------

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``idx manage ARGS`` against the topology's database, cache and storage."""
        return subprocess.run(  # noqa: S603
            [PYTHON, "-m", "idx.cli", "manage", *args],
            env=self.env(),
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stats(self) -> list[dict[str, str]]:
        """HAProxy's statistics, one row per frontend, backend and server."""
        import csv

        with urllib.request.urlopen(f"{self.stats_url}/;csv", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
        return list(csv.DictReader(text.lstrip("# ").splitlines()))

    def status(self) -> dict[str, Any]:
        if not self.nodes:
            self._load_state()
        self._refresh_pids()
        return {
            "nodes": {
                name: {"pid": node.pid, "alive": bool(node.pid and _group_alive(node.pid))}
                for name, node in self.nodes.items()
            },
            "portal": _http_ok(f"{self.portal_url}/readyz"),
            "backoffice": _http_ok(f"{self.backoffice_url}/readyz"),
        }

    # ---- state --------------------------------------------------------------------------

    def _save_state(self) -> None:
        state = {
            "base_port": self.base_port,
            "seed": self.seed,
            "settings": self.settings,
            "email_port": self.email_port,
            "portal_url": self.portal_url,
            "backoffice_url": self.backoffice_url,
            "stats_url": self.stats_url,
            "nodes": {
                name: {**asdict(node), "log_path": str(node.log_path), "env": {}}
                for name, node in self.nodes.items()
            },
        }
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / STATE_FILE).write_text(json.dumps(state, indent=1))

    def _load_state(self) -> None:
        state = json.loads((self.workdir / STATE_FILE).read_text())
        secret_file = self.workdir / "secret-key"
        self.secret_key = secret_file.read_text().strip() if secret_file.exists() else ""
        self._define_nodes()
        for name, saved in state["nodes"].items():
            if name in self.nodes:
                self.nodes[name].pid = saved.get("pid")

    @classmethod
    def attach(cls, workdir: Path | str) -> Topology:
        """The topology a detached ``start`` left running in ``workdir``."""
        state = json.loads((Path(workdir) / STATE_FILE).read_text())
        topo = cls(
            workdir,
            state["base_port"],
            state.get("seed", False),
            email_port=state.get("email_port"),
            settings=state.get("settings", "idx.settings.dev"),
        )
        topo._load_state()
        return topo

    # ---- stopping -----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every process (web nodes and workers first, PostgreSQL last)."""
        self._refresh_pids()
        order = [
            "haproxy",
            "portal-1",
            "portal-2",
            "backoffice-1",
            "worker-1",
            "worker-2",
            "s3",
            "redis",
            "postgres",
        ]
        names = [name for name in order if name in self.nodes] + [n for n in self.nodes if n not in order]
        groups = [(name, self.nodes[name].pid) for name in names if self.nodes[name].pid]
        _stop_groups([(name, pid) for name, pid in groups if pid])
        for process in self._processes.values():
            with contextlib.suppress(Exception):
                process.wait(timeout=1)
        for name in names:
            self.nodes[name].pid = None
            (self.run_dir / f"{name}.pid").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (self.workdir / STATE_FILE).unlink()


def _stop_groups(groups: list[tuple[str, int]], grace: float = 8.0) -> None:
    """SIGTERM (SIGINT for PostgreSQL: its fast shutdown) to every group, SIGKILL what is left."""
    for name, pgid in groups:
        _signal_group(pgid, signal.SIGINT if name == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        for _, pgid in groups:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pgid, os.WNOHANG)
        if not any(_group_alive(pgid) for _, pgid in groups):
            return
        time.sleep(0.1)
    for _, pgid in groups:
        _signal_group(pgid, signal.SIGKILL)


def stop_workdir(workdir: Path) -> None:
    """Stop what a (possibly crashed) run left in ``workdir``, from its pid files."""
    run_dir = workdir / "run"
    groups = []
    for pid_file in sorted(run_dir.glob("*.pid")) if run_dir.exists() else []:
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        groups.append((pid_file.stem, pid))
    # Web nodes first, PostgreSQL last.
    groups.sort(key=lambda item: {"postgres": 3, "redis": 2, "s3": 2}.get(item[0], 0))
    _stop_groups(groups)
    for pid_file in run_dir.glob("*.pid") if run_dir.exists() else []:
        pid_file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (workdir / STATE_FILE).unlink()


def remove_workdir(workdir: Path) -> None:
    """Delete a stopped topology's folder (and PostgreSQL's folder outside it, if it needed one)."""
    outside = workdir / "pg-outside"
    if outside.exists():
        shutil.rmtree(outside.read_text().strip(), ignore_errors=True)
    shutil.rmtree(workdir, ignore_errors=True)


# ---- command line -------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGINT (also when a shell started us with SIGINT ignored) stop everything."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _print_summary(topo: Topology) -> None:
    phases = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in topo.timings.items())
    print(f"IDX reference topology in {topo.workdir} (after {phases})")
    print(
        f"  portal (LB)        {topo.portal_url}/   second municipality: http://watarai.localhost:{topo.base_port}/"
    )
    print(f"  back office (LB)   {topo.backoffice_url}/staff/")
    print(f"  HAProxy stats      {topo.stats_url}/")
    print(f"  PostgreSQL         {topo.database_url}")
    print(f"  Redis              {topo.redis_url}")
    print(f"  S3 (moto)          {topo.s3_endpoint}  bucket {topo.bucket}")
    print(f"  logs               {topo.logs}/")
    if topo.seed:
        print(f"  demo accounts' password: {DEMO_PASSWORD}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="topology.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "start", "status", "stop"])
    parser.add_argument("--workdir", default=str(REPO / "var" / "topology"))
    parser.add_argument("--base-port", type=int, default=9400)
    parser.add_argument(
        "--seed", action="store_true", help="load the demo's municipalities, staff and residents"
    )
    parser.add_argument(
        "--applications", type=int, default=20, help="demo applications with --seed (default 20)"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="migrate (and seed) afresh, and keep nothing for the next start",
    )
    parser.add_argument(
        "--email-port", type=int, default=None, help="send e-mail to an SMTP server on this port"
    )
    options = parser.parse_args(argv)
    workdir = Path(options.workdir).resolve()
    if options.command == "stop":
        if (workdir / STATE_FILE).exists():
            try:
                Topology.attach(workdir).stop()
            except (OSError, ValueError, KeyError):
                stop_workdir(workdir)
        else:
            stop_workdir(workdir)
        print("stopped")
        return 0
    if options.command == "status":
        if not (workdir / STATE_FILE).exists():
            print("not running")
            return 1
        status = Topology.attach(workdir).status()
        print(json.dumps(status, indent=1))
        return 0 if status["portal"] and status["backoffice"] else 1
    topo = Topology(
        workdir,
        options.base_port,
        options.seed,
        applications=options.applications,
        email_port=options.email_port,
        use_cache=not options.no_cache,
    )
    with _signals_raise():
        try:
            topo.start()
        except KeyboardInterrupt:
            return 130
        _print_summary(topo)
        if options.command == "start":
            return 0
        print("Ctrl-C stops everything.")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping...")
        finally:
            topo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
