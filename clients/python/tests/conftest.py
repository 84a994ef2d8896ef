import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))


@pytest.fixture(scope="session")
def server_port():
    """A real rpc-echo-server (the Swift test/demo server) on 127.0.0.1, a free port."""
    binary = os.environ.get("RPC_ECHO_SERVER", os.path.join(ROOT, ".build", "debug", "rpc-echo-server"))
    process = subprocess.Popen([binary, "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("listening on "), f"server said {line!r}"
        yield int(line.split()[-1])
    finally:
        process.terminate()
        process.wait(timeout=30)
