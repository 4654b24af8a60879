"""``bilateral-monitor notify`` against a real Alertmanager (DESIGN.md "Alertmanager"): the
commitments that need attention fire with the contract's labels, are grouped by dyad, respect a
silence, and resolve when the commitment recovers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from schemas.alerts import Alert
from schemas.state import RelationshipState
from service.domain.attention import needs_attention
from service.runtime.alertmanager import sync_store
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.inputs import Rejected
from tests.alertmanager import BINARY, SKIP_REASON, running_alertmanager, wait_for
from tests.e2e.test_cli import cli, seed_args

pytestmark = pytest.mark.skipif(BINARY is None, reason=SKIP_REASON)


def _camel(status: str) -> str:
    return "".join(word.capitalize() for word in status.split("_"))


def _firing(am) -> dict[str, dict]:
    """Commitment alerts Alertmanager holds as firing, by commitment id."""
    return {
        a["labels"]["commitment_id"]: a
        for a in am.alerts()
        if a["labels"].get("alertname", "").startswith("Commitment")
    }


def test_notify_fires_the_dev_sequence_s_reversed_and_lapsed_commitments(tmp_path, shared):
    store = tmp_path / "s"
    assert cli(*seed_args(shared), data_dir=store).returncode == 0
    assert cli("ingest", str(shared / "data" / "dev_events.jsonl"), data_dir=store).returncode == 2
    state = RelationshipState.model_validate_json(
        cli("state", "CA-IN", "--json", data_dir=store).stdout
    )
    alerts = [
        Alert.model_validate_json(line)
        for line in cli("alerts", "--dyad", "CA-IN", "--json", data_dir=store).stdout.splitlines()
    ]
    last_reason = {a.commitment.id: a.reason for a in alerts}
    attention = {c.id: c for c in state.commitments if needs_attention(c)}
    assert {c.status.value for c in attention.values()} == {"reversed", "lapsed"}

    with running_alertmanager(tmp_path / "am") as am:
        lapsed = next(c for c in attention.values() if c.status.value == "lapsed")
        silence = am.silence({"commitment_id": lapsed.id}, "known: the energy agreement lapsed")
        done = cli("notify", "--alertmanager", am.url, "--json", data_dir=store)
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)["firing"]) == len(attention)

        firing = _firing(am)
        assert set(firing) == set(attention)
        for ident, c in attention.items():
            got = firing[ident]
            assert got["labels"] == {
                "alertname": "Commitment" + _camel(c.status.value),
                "dyad": "CA-IN",
                "commitment_id": ident,
                "status": c.status.value,
                "direction": "cooperative",
                "severity": "critical" if c.status.value == "reversed" else "warning",
            }
            assert got["annotations"]["summary"] == c.title
            assert got["annotations"]["description"] == last_reason[ident]
        assert firing[lapsed.id]["status"]["silencedBy"] == [silence]
        reversed_id = next(i for i, c in attention.items() if c.status.value == "reversed")
        assert firing[reversed_id]["status"]["state"] == "active"

        # grouped by dyad; the silenced commitment is not delivered
        note = wait_for(
            lambda: next(
                (n for n in am.webhook.notifications() if n["groupLabels"] == {"dyad": "CA-IN"}),
                None,
            ),
            30,
            "a webhook notification for the CA-IN group",
        )
        assert note["status"] == "firing"
        assert [a["labels"]["commitment_id"] for a in note["alerts"]] == [reversed_id]
        assert note["commonLabels"]["dyad"] == "CA-IN"

        # idempotent: a second run changes nothing
        again = cli("notify", "--alertmanager", am.url, data_dir=store)
        assert again.returncode == 0, again.stderr
        assert {i: a["fingerprint"] for i, a in _firing(am).items()} == {
            i: a["fingerprint"] for i, a in firing.items()
        }


def test_a_commitment_that_recovers_resolves(tmp_path, seed, dev_items):
    """The dev sequence, event by event, with notify after each: Alertmanager always holds
    exactly the commitments that need attention; the cyber talks, paused then resumed, resolve."""
    events = [seed, *(i for i in dev_items if not isinstance(i, Rejected))]
    resolved_seen: set[str] = set()
    fired_seen: set[str] = set()
    with (
        running_alertmanager(tmp_path / "am") as am,
        EmbeddedRuntime(tmp_path / "s") as runtime,
    ):
        for event in events:
            runtime.ingest([event])
            report = sync_store(runtime, am.url)
            expected = {
                c.id
                for dyad in runtime.dyads()
                for c in runtime.state(dyad).commitments
                if needs_attention(c)
            }
            assert set(_firing(am)) == expected, event.event_id
            fired_seen |= {a.labels["commitment_id"] for a in report.firing}
            resolved_seen |= {a.labels["commitment_id"] for a in report.resolved}
        recovered = resolved_seen - expected
        assert recovered, "some commitment should have needed attention and then recovered"
        cyber = next(
            c for c in runtime.state("CA-IN").commitments if c.status.value == "in_progress"
        )
        assert cyber.id in recovered

        def resolved_note() -> dict | None:
            for n in am.webhook.notifications():
                for a in n["alerts"]:
                    if a["labels"]["commitment_id"] == cyber.id and a["status"] == "resolved":
                        return a
            return None

        note = wait_for(resolved_note, 30, "the resolved notification of the cyber talks")
        assert note["labels"]["alertname"] == "CommitmentPaused"
        ends = datetime.fromisoformat(note["endsAt"].replace("Z", "+00:00"))
        assert ends <= datetime.now(UTC)


def test_notify_errors(tmp_path, shared):
    store = tmp_path / "s"
    assert cli(*seed_args(shared), data_dir=store).returncode == 0
    bad = cli("notify", "--alertmanager", "localhost:9093", data_dir=store)
    assert bad.returncode == 2 and "http://HOST:PORT" in bad.stderr
    from tests.alertmanager import free_port

    down = subprocess.run(
        [
            sys.executable,
            "-m",
            "service",
            "notify",
            "--alertmanager",
            f"http://127.0.0.1:{free_port()}",
            "--data-dir",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "cannot update Alertmanager" in down.stderr
    assert "Traceback" not in down.stderr
    empty = cli("notify", "--alertmanager", "http://127.0.0.1:9093", data_dir=tmp_path / "none")
    assert empty.returncode == 2 and "no store" in empty.stderr
