"""A static Bot API stand-in: nginx answering sendMessage and getMe with fixed, valid JSON.

It measures the bot's own cost per message: nginx answers in microseconds from one worker
process, so whatever rate the bot reaches against it is the bot's ceiling on this machine.
nginx runs as a child process (`daemon off`) with its own prefix, configuration and logs in a
temporary folder, on a free loopback port, and is killed when the context ends.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

INSTALL_HINT = (
    "nginx is not installed, so the static-server benchmark cannot run. Install it with "
    "`apt-get update && apt-get install -y nginx` (Debian/Ubuntu) and run again."
)
# Debian installs nginx in /usr/sbin, which is not on a non-root user's PATH.
_SEARCH_PATH = "/usr/sbin:/usr/local/sbin:/sbin"


class NginxMissing(RuntimeError):
    """nginx is not installed on this machine."""


def find_nginx() -> str | None:
    """Return the path of the nginx binary, or None when it is not installed."""
    return shutil.which("nginx") or shutil.which("nginx", path=_SEARCH_PATH)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(token: str) -> tuple[str, str]:
    bot_id = int(token.split(":", 1)[0])
    bot = {
        "id": bot_id,
        "is_bot": True,
        "first_name": "Reminder",
        "username": "reminder_bench_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }
    message = {
        "message_id": 1,
        "date": 1767225600,
        "chat": {"id": 10000000, "type": "private", "first_name": "Bench"},
        "from": {k: bot[k] for k in ("id", "is_bot", "first_name", "username")},
        "text": "ok",
    }
    send = json.dumps({"ok": True, "result": message}, separators=(",", ":"))
    me = json.dumps({"ok": True, "result": bot}, separators=(",", ":"))
    return send, me


def nginx_config(prefix: Path, port: int, token: str) -> str:
    """Return an nginx.conf whose every path lies under `prefix`."""
    send, me = _answers(token)
    not_found = '{"ok":false,"error_code":404,"description":"Not Found"}'
    return f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    # Bodies stay in memory; keep-alive connections are never closed during a wave.
    client_body_buffer_size 64k;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        location = /bot{token}/sendMessage {{ return 200 '{send}'; }}
        location = /bot{token}/getMe {{ return 200 '{me}'; }}
        location / {{ return 404 '{not_found}'; }}
    }}
}}
"""


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"nginx exited with {process.returncode}: {text.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within 10 s")


@contextmanager
def static_responder(token: str) -> Iterator[str]:
    """Run nginx for the duration of the block; yield its API root (http://127.0.0.1:PORT)."""
    binary = find_nginx()
    if binary is None:
        raise NginxMissing(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        prefix = Path(tmp)
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(prefix, port, token))
        log = prefix / "error.log"
        # -e: the error log before the config is read would otherwise go to /var/log/nginx.
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(conf), "-e", str(log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_listening(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            # SIGTERM is nginx's fast shutdown: the master stops its worker and exits.
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
