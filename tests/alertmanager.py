"""A real Alertmanager (Debian's ``prometheus-alertmanager``) on a free loopback port, with its own
configuration and storage, delivering to a webhook receiver in the test process.

The configuration groups commitment alerts by dyad and flushes quickly (``group_wait`` and
``group_interval`` 1 s) so tests can wait for what they check.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
SKIP_REASON = (
    "prometheus-alertmanager not installed (Debian: apt-get install prometheus-alertmanager; "
    "scripts/test installs it when run as root)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Webhook:
    """Alertmanager's webhook notifications, as they arrive (each a dict of the webhook format:
    ``status``, ``groupLabels``, ``alerts`` ...)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with hook._lock:
                    hook.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def notifications(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Alertmanager:
    """A running Alertmanager: ``url``, its v2 API (``alerts``, ``silence``) and its webhook."""

    def __init__(self, url: str, webhook: Webhook, process: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.webhook = webhook
        self.process = process

    def _call(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert Alertmanager holds as firing (active, silenced or inhibited)."""
        return self._call("/api/v2/alerts")

    def silence(self, matchers: dict[str, str], comment: str) -> str:
        """Silence alerts whose labels equal ``matchers`` for an hour; the silence id."""
        now = time.time()
        body = {
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in matchers.items()
            ],
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
            "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
            "createdBy": "tests",
            "comment": comment,
        }
        return self._call("/api/v2/silences", body)["silenceID"]


CONFIG = """
route:
  receiver: hook
  group_by: [dyad]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {url}
        send_resolved: true
"""


@contextmanager
def running_alertmanager(workdir: Path) -> Iterator[Alertmanager]:
    """Start Alertmanager in ``workdir`` (config, storage, log) and stop it on exit."""
    assert BINARY is not None, SKIP_REASON
    webhook = Webhook()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(CONFIG.format(url=webhook.url), encoding="utf-8")
    port = free_port()
    log = (workdir / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), 30, f"Alertmanager on {url} (log: {workdir})")
        yield Alertmanager(url, webhook, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        webhook.close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/-/ready", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy (returned), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
