"""`make run-scaled`: the scale-out layout on one machine.

    PostgreSQL  <-  N Daphne processes (HTTP + WebSockets, `manage.py serve --no-worker`)
    Redis       <-  (channel layer shared by every process)
                <-  M background workers (`manage.py db_worker`) + 1 housekeeping process
    nginx :PORT ->  the Daphne processes (round robin, WebSocket upgrade, Host passed through)

Everything is configured by environment variables only; the same variables spread the layout
across machines (see README, "Scale-out"). A child that dies is started again. Stop it with Ctrl+C:
every child is stopped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
#: A child that dies more often than this within a minute stops the layout.
MAX_RESTARTS = 5


def env_or(name: str, default: str) -> str:
    value = os.environ.get(name, "")
    return value or default


def wait_port(host: str, port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {host}:{port} within {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_postgres_database(url: str) -> None:
    """Create the database named in DATABASE_URL if the server has no such database yet."""
    import psycopg

    parts = urlparse(url)
    dbname = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
                print(f"Created PostgreSQL database {dbname}")
    except psycopg.OperationalError as exc:
        raise SystemExit(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}: {exc}") from exc


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis is not reachable at {url}: {exc}") from exc


#: What nginx answers for a web process that died mid-request (a problem body, as the API's own).
UPSTREAM_DOWN = json.dumps(
    {
        "type": "https://loupe.local/problems/service_unavailable",
        "title": "Bad Gateway",
        "status": 502,
        "code": "service_unavailable",
        "detail": "The server process handling this request stopped before answering: retry "
        "(a submit that had landed answers 409).",
    }
)

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    client_max_body_size 16m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream loupe {{
{servers}
        keepalive 64;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://loupe;
            proxy_http_version 1.1;
            # SigV4 signs the Host header exactly as the client sent it: pass it through.
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 3600s;
            proxy_buffering off;
            # A web process that died mid-request (its next start is under way, and new requests
            # go to the others): a problem body saying to retry, not nginx's HTML page.
            error_page 502 504 @upstream_down;
        }}
        location @upstream_down {{
            default_type application/problem+json;
            add_header Retry-After 1 always;
            return 502 '{upstream_down}';
        }}
    }}
}}
"""


def main() -> None:
    host = env_or("HOST", "127.0.0.1")
    port = int(env_or("PORT", "8000"))
    n_web = int(env_or("LOUPE_WEB_PROCESSES", "2"))
    n_workers = int(env_or("LOUPE_TASK_WORKERS", "2"))
    # Beside the rest of this installation's files (LOUPE_VAR_DIR, as the settings read it).
    run_dir = Path(env_or("LOUPE_VAR_DIR", str(ROOT / "var"))) / "scaled"
    run_dir.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env["DATABASE_URL"] = env_or("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/loupe")
    env["REDIS_URL"] = env_or("REDIS_URL", "redis://127.0.0.1:6379/0")
    # nginx in front sets X-Forwarded-For: per-address rate limits must see the client, not nginx.
    env.setdefault("LOUPE_TRUST_X_FORWARDED_FOR", "true")
    if not env.get("SECRET_KEY"):
        # This one-machine layout keeps its own secret; across machines, set SECRET_KEY yourself.
        key_file = run_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        env["SECRET_KEY"] = key_file.read_text().strip()
    if not env["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("run-scaled needs a PostgreSQL DATABASE_URL (postgres://...)")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is missing: `apt-get install nginx-light` (make run-scaled does it as root)")

    ensure_postgres_database(env["DATABASE_URL"])
    check_redis(env["REDIS_URL"])
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "bootstrap_demo", "--url", f"http://{host}:{port}"], cwd=ROOT, env=env, check=True)

    # name -> (command, process). A child that dies is started again (a web process on its port:
    # nginx sends new requests to the other ones meanwhile); one that keeps dying (more than
    # MAX_RESTARTS within a minute), or nginx itself, stops everything.
    children: dict[str, tuple[list[str], subprocess.Popen[bytes]]] = {}
    restarts: dict[str, list[float]] = {}

    def start(name: str, command: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(command, cwd=ROOT, env=env)
        children[name] = (command, proc)
        return proc

    def stop_all(*_: object, code: int = 0) -> None:
        for _command, proc in reversed(list(children.values())):
            if proc.poll() is None:
                proc.terminate()
        for _command, proc in children.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        raise SystemExit(code)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)

    web_ports = [free_port() for _ in range(n_web)]
    for i, web_port in enumerate(web_ports):
        proc = start(f"web-{i}", [*manage, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(web_port)])
        wait_port("127.0.0.1", web_port, proc, f"web process {i}")
    for i in range(n_workers):
        start(f"worker-{i}", [*manage, "db_worker", "--queue-name", "*"])
    start("housekeeping", [*manage, "housekeeping"])

    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in web_ports)
    conf = run_dir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(run=run_dir, servers=servers, host=host, port=port, upstream_down=UPSTREAM_DOWN))
    nginx_proc = start("nginx", [nginx, "-c", str(conf), "-p", str(run_dir)])
    wait_port(host, port, nginx_proc, "nginx")
    print(
        f"Loupe (scaled): nginx on http://{host}:{port} -> {n_web} Daphne processes {web_ports}, "
        f"{n_workers} task workers, 1 housekeeping process; PostgreSQL {urlparse(env['DATABASE_URL']).hostname}, "
        f"Redis {urlparse(env['REDIS_URL']).hostname}. Ctrl+C stops everything.",
        flush=True,
    )
    while True:
        for name, (command, proc) in list(children.items()):
            if proc.poll() is None:
                continue
            now = time.monotonic()
            recent = [t for t in restarts.get(name, []) if now - t < 60]
            if name == "nginx" or len(recent) >= MAX_RESTARTS:
                print(f"{name} exited with code {proc.returncode}; stopping the others", file=sys.stderr, flush=True)
                stop_all(code=1)
            restarts[name] = [*recent, now]
            print(f"{name} exited with code {proc.returncode}; starting it again", file=sys.stderr, flush=True)
            start(name, command)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
