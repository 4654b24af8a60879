"""Kafka TLS settings honoured, against a broker of its own with an SSL listener
(``scripts/kafka`` with ``BILATERAL_MONITOR_KAFKA_SSL_PORT``), its certificate signed by a CA
made here with keytool (the JDK's, which the broker needs anyway).

The right CA publishes and runs a worker; another CA fails at once, saying what to check.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from schemas.codec import encode
from tests.conftest import REPO_ROOT
from tests.integration.conftest import (
    WorkerProcess,
    free_port,
    http_json,
    unique_settings,
    wait_assigned,
    wait_until,
)

pytestmark = pytest.mark.kafka

STOREPASS = "test-store-pw"


def _keytool(*args: str) -> None:
    subprocess.run(["keytool", *args], check=True, capture_output=True, timeout=60)


def _ca(folder: Path, name: str) -> Path:
    """A self-signed CA in ``folder/name.p12``; returns its certificate as PEM."""
    store = str(folder / f"{name}.p12")
    _keytool(
        "-genkeypair",
        "-alias",
        name,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        f"CN={name}",
        "-ext",
        "bc:c",
        "-keystore",
        store,
        "-storetype",
        "PKCS12",
        "-storepass",
        STOREPASS,
        "-validity",
        "2",
    )
    pem = folder / f"{name}.pem"
    _keytool(
        "-exportcert",
        "-alias",
        name,
        "-keystore",
        store,
        "-storepass",
        STOREPASS,
        "-rfc",
        "-file",
        str(pem),
    )
    return pem


def _broker_keystore(folder: Path, ca: str) -> Path:
    """A PKCS12 keystore for a broker at 127.0.0.1, its certificate signed by CA ``ca``."""
    store, csr, crt = (str(folder / n) for n in ("broker.p12", "broker.csr", "broker.crt"))
    common = ["-keystore", store, "-storepass", STOREPASS]
    _keytool(
        "-genkeypair",
        "-alias",
        "broker",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=127.0.0.1",
        "-storetype",
        "PKCS12",
        "-validity",
        "2",
        *common,
    )
    _keytool("-certreq", "-alias", "broker", "-file", csr, *common)
    _keytool(
        "-gencert",
        "-alias",
        ca,
        "-keystore",
        str(folder / f"{ca}.p12"),
        "-storepass",
        STOREPASS,
        "-infile",
        csr,
        "-outfile",
        crt,
        "-ext",
        "SAN=IP:127.0.0.1",
        "-rfc",
        "-validity",
        "2",
    )
    _keytool("-importcert", "-alias", ca, "-file", str(folder / f"{ca}.pem"), "-noprompt", *common)
    _keytool("-importcert", "-alias", "broker", "-file", crt, "-noprompt", *common)
    return Path(store)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """(``HOST:PORT`` of the SSL listener, the CA that signed it, another CA)."""
    if shutil.which("keytool") is None:
        pytest.skip("keytool (from the JDK the broker runs on) is not on PATH")
    folder = tmp_path_factory.mktemp("tls")
    ca, other = _ca(folder, "test-ca"), _ca(folder, "other-ca")
    keystore = _broker_keystore(folder, "test-ca")
    port, cport, ssl_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "BILATERAL_MONITOR_KAFKA_PORT": str(port),
        "BILATERAL_MONITOR_KAFKA_CONTROLLER_PORT": str(cport),
        "BILATERAL_MONITOR_KAFKA_SSL_PORT": str(ssl_port),
        "BILATERAL_MONITOR_KAFKA_SSL_KEYSTORE": str(keystore),
        "BILATERAL_MONITOR_KAFKA_SSL_KEYSTORE_PASSWORD": STOREPASS,
        "BILATERAL_MONITOR_KAFKA_DATA": str(folder / "broker"),
    }
    script = REPO_ROOT / "scripts" / "kafka"
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True)
    try:
        if started.returncode != 0:
            pytest.fail(f"the TLS broker did not start:\n{started.stderr[-3000:]}")
        yield f"127.0.0.1:{ssl_port}", ca, other
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True)


def _env(settings: Any, cafile: Path) -> dict[str, str]:
    return {
        "BILATERAL_MONITOR_TOPIC_PREFIX": settings.topic_prefix,
        "BILATERAL_MONITOR_APP_ID": settings.app_id,
        "BILATERAL_MONITOR_SECURITY_PROTOCOL": "SSL",
        "BILATERAL_MONITOR_SSL_CAFILE": str(cafile),
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILATERAL_MONITOR_")}
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        capture_output=True,
        text=True,
        timeout=90,  # a wrong CA must fail, not hang
        env={**clean, **env},
        cwd=REPO_ROOT,
    )


def test_the_right_ca_publishes_and_runs_a_worker(
    tls: tuple[str, Path, Path], seed: Any, tmp_path: Path
) -> None:
    bootstrap, ca, _ = tls
    seed_file = tmp_path / "seed.jsonl"
    seed_file.write_bytes(encode(seed) + b"\n")
    settings = unique_settings(bootstrap, tmp_path, partitions=2)
    env = _env(settings, ca)
    worker = WorkerProcess(settings, free_port(), tmp_path / "worker.log", extra_env=env)
    worker.start()
    try:
        wait_assigned([worker], settings)
        done = _cli(env, "publish", str(seed_file), "--bootstrap", bootstrap)
        assert done.returncode == 0, done.stderr
        state = wait_until(
            lambda: http_json(f"{worker.url}/relationships/CA-IN"), 60, "CA-IN folded"
        )
        assert state["commitments"]
    finally:
        worker.stop()


def test_another_ca_fails_at_once_saying_what_to_check(
    tls: tuple[str, Path, Path], tmp_path: Path
) -> None:
    bootstrap, _, other = tls
    settings = unique_settings(bootstrap, tmp_path)
    done = _cli(_env(settings, other), "alerts", "--json", "--bootstrap", bootstrap)
    assert done.returncode == 1, done.stderr
    assert f"{bootstrap}: TLS handshake failed (SSL)" in done.stderr
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr and "SSL_CAFILE" in done.stderr
