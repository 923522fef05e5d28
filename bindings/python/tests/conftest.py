"""What the tests share: a fresh embedded store in a temporary directory;
dynalite from the Node harness in tests/dynamo (CCTV_DYNAMO_HARNESS),
started once per test process and killed by its PID at the end; running a
Python program of its own."""

import os
import re
import secrets
import subprocess
import sys

import pytest

import cctv


@pytest.fixture(scope="session")
def dynalite_url():
    harness = os.environ["CCTV_DYNAMO_HARNESS"]
    process = subprocess.Popen(["node", os.path.join(harness, "start-dynalite.js")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        port = re.search(r"(\d+)\s*$", line)
        assert port, f"dynalite printed {line!r}"
        yield f"http://127.0.0.1:{port.group(1)}"
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def dynalite_store(dynalite_url):
    """A store URI on dynalite, with a prefix that keeps each test's tables apart."""
    return f"dynamodb://local?endpoint={dynalite_url}&table_prefix=t{secrets.token_hex(4)}-"


@pytest.fixture
def embedded_store(tmp_path):
    return f"rocksdb:{tmp_path}/data"


@pytest.fixture(autouse=True)
def close_clients():
    yield
    cctv.close_all()


def run_python(source, env=None):
    """Runs `source` in a Python of its own that imports cctv as this one does."""
    environment = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                          env=environment, timeout=300)
