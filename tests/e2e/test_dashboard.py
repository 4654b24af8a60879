"""The /dashboard page in headless Chromium, served with the answers a worker gives: a commitment
reversed by the latest event reads as reversed at a glance (its own bar, labelled, at the top)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from datetime import datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from schemas.state import RelationshipState
from service.domain.attention import relationship_summary
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import Rejected
from tests.conftest import REPO_ROOT

STATIC = REPO_ROOT / "service" / "api" / "static"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install -y chromium; scripts/test does)",
)


def _serve(state: RelationshipState) -> ThreadingHTTPServer:
    """The dashboard's files and the JSON a one-worker cluster answers, holding ``state``."""
    summary = relationship_summary(state)
    answers: dict[str, Any] = {
        "/ready": {"ready": True, "checks": {"tables_recovered": True}},
        "/cluster/metrics": {"workers": [], "partial": False},
        "/relationships": {
            "relationships": [
                {
                    "dyad": state.dyad,
                    "as_of": state.as_of.isoformat() if state.as_of else None,
                    "commitments": summary["commitments"],
                    "by_status": summary["by_status"],
                    "engagements": summary["engagements"],
                    "last_seen": None,
                }
            ],
            "partial": False,
        },
        f"/relationships/{state.dyad}": json.loads(state.model_dump_json()),
        "/alerts": {"alerts": [], "count": 0, "ring_size": 0},
    }
    files = {
        "/dashboard": ("dashboard.html", "text/html"),
        "/static/dashboard.js": ("dashboard.js", "text/javascript"),
        "/static/dashboard.css": ("dashboard.css", "text/css"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path in files:
                name, kind = files[path]
                body = (STATIC / name).read_bytes()
            elif path in answers:
                kind, body = "application/json", json.dumps(answers[path]).encode()
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Rows(HTMLParser):
    """The timeline rows of the dumped DOM: status, texts and segments of each commitment."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self._depth = 0
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "g" and "commitment" in (a.get("class") or "").split():
            self.rows.append(
                {
                    "id": a["data-commitment-id"],
                    "status": a["data-status"],
                    "texts": [],
                    "segments": [],
                }
            )
            self._depth = 1
            return
        if not self._depth:
            return
        self._depth += tag not in ("rect", "circle")
        if tag == "rect" and "segment" in (a.get("class") or ""):
            self.rows[-1]["segments"].append(
                {
                    "status": a["data-status"],
                    "width": float(a["width"] or 0),
                    "class": a.get("class") or "",
                }
            )
        self._in_text = tag == "text"

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag not in ("rect", "circle"):
            self._depth -= 1
        if tag == "text":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._depth and self._in_text and data.strip():
            self.rows[-1]["texts"].append(data.strip())


def test_a_reversal_by_the_latest_event_reads_as_reversed(tmp_path, seed, dev_items):
    with EmbeddedRuntime(tmp_path / "s") as runtime:
        runtime.ingest([seed, *(i for i in dev_items if not isinstance(i, Rejected))])
        final = runtime.state("CA-IN")
        assert final is not None
        reversed_ = next(c for c in final.commitments if c.status.value == "reversed")
        reversed_at: datetime = reversed_.status_history[-1].at
        # the state as the reversal came in: the reversal is the latest event of the dyad
        state = runtime.state("CA-IN", reversed_at)
    assert state is not None and state.as_of == reversed_at
    server = _serve(state)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/dashboard"
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            dumped = subprocess.run(
                [
                    str(CHROMIUM),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=5000",
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
    finally:
        server.shutdown()
        server.server_close()
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    rows = _Rows()
    rows.feed(dumped.stdout)
    assert len(rows.rows) == len(state.commitments), dumped.stdout[:3000]
    row = next(r for r in rows.rows if r["id"] == reversed_.id)
    # its current status written out beside the title
    assert any("reversed" in t for t in row["texts"]), row["texts"]
    # and a bar of its own, as wide as any current status gets, not a sliver at the edge
    current = row["segments"][-1]
    assert current["status"] == "reversed"
    assert current["width"] >= 100, row["segments"]
    earlier = row["segments"][:-1]
    assert earlier and all("past" in s["class"] for s in earlier)
    # at the top: what needs attention comes first
    assert rows.rows[0]["id"] == reversed_.id
    # every row names its current status
    for r in rows.rows:
        assert any(r["status"].replace("_", " ") in t for t in r["texts"]), r
