"""Fixtures for the SDK tests: a real `seatkeeper serve` process per database backend.

The binary is SEATKEEPER_BIN (default: target/release/seatkeeper). PostgreSQL runs when
TEST_DATABASE_URL is set (each test session creates and drops a database of its own).
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = os.environ.get("SEATKEEPER_BIN", str(ROOT / "target" / "release" / "seatkeeper"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qc", sql], check=True, capture_output=True)


def _database_urls():
    urls = {"sqlite": None}
    admin = os.environ.get("TEST_DATABASE_URL")
    if admin:
        urls["postgres"] = admin
    return urls


@dataclass
class Server:
    base_url: str
    database_url: str

    def create_org(self, slug: str) -> dict:
        """`seatkeeper org create --json`: {organization_id, slug, access_token}."""
        out = subprocess.run(
            [BIN, "org", "create", "--name", f"Org {slug}", "--slug", slug, "--json",
             "--database-url", self.database_url],
            check=True, capture_output=True, text=True,
        )
        return json.loads(out.stdout)


def _serve(backend, extra_args=()):
    """A `seatkeeper serve` on a fresh database of `backend`, until the generator is closed."""
    admin = _database_urls()[backend]
    tmp = tempfile.TemporaryDirectory()
    db_name = None
    if backend == "sqlite":
        database_url = f"sqlite://{tmp.name}/sdk.db"
    else:
        db_name = f"sk_test_sdk_{uuid.uuid4().hex}"
        _psql(admin, f"CREATE DATABASE {db_name}")
        database_url = admin.rsplit("/", 1)[0] + f"/{db_name}"
    port = _free_port()
    proc = subprocess.Popen(
        # Every test calls the public checkout endpoints from this one address: the per-address
        # limit (tested in the Rust API tests) is raised so the suite is not throttled.
        # Webhook receivers in the tests listen on loopback: private targets are allowed.
        [BIN, "serve", "--dev-mailbox", "--webhook-allow-private", "--rate-limit", "100000",
         "--bind", f"127.0.0.1:{port}",
         "--database-url", database_url,
         *extra_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base_url}/readyz", timeout=1)
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"seatkeeper serve did not become ready on {backend}")
            time.sleep(0.1)
    yield Server(base_url=base_url, database_url=database_url)
    proc.terminate()
    proc.wait(timeout=30)
    if db_name:
        _psql(admin, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
    tmp.cleanup()


@pytest.fixture(scope="session", params=sorted(_database_urls()))
def server(request):
    yield from _serve(request.param)


@pytest.fixture(scope="module", params=sorted(_database_urls()))
def clock_server(request):
    """A server whose clock stands at 2027-01-01T00:00:00Z until a test moves it
    (`POST /v1/test-clock/advance`); one per test module, since its time is everyone's."""
    yield from _serve(request.param, ("--test-clock", "--test-clock-start", "2027-01-01T00:00:00Z"))
