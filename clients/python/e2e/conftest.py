"""Fixtures for the journey against a running habit-server, which scripts/test.d/60-clients-against-habit-server.sh
starts and describes in HABIT_E2E_* variables; without them the run fails (it never skips)."""
import glob
import os
import subprocess
import sys

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.dirname(HERE))

from habitrpc import Client  # noqa: E402


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run scripts/test.d/60-clients-against-habit-server.sh")
    return value


@pytest.fixture(scope="session")
def habit_server():
    """(host, port, token, foreign_token): a token for a user with no habits yet, and one from another secret."""
    host, port = _env("HABIT_E2E_ADDRESS").rsplit(":", 1)
    return host, int(port), _env("HABIT_E2E_PYTHON_TOKEN"), _env("HABIT_E2E_FOREIGN_TOKEN")


@pytest.fixture
def client(habit_server):
    c = Client(habit_server[0], habit_server[1])
    yield c
    c.close()


@pytest.fixture(scope="session")
def messages(tmp_path_factory):
    """habit.v1 message classes built from proto/ at run time (protoc's descriptor set, no generated code)."""
    out = tmp_path_factory.mktemp("descriptors") / "habit.pb"
    protos = sorted(glob.glob(os.path.join(ROOT, "proto", "habit", "v1", "*.proto")))
    subprocess.run(["protoc", "--proto_path", os.path.join(ROOT, "proto"), "--include_imports",
                    f"--descriptor_set_out={out}", *protos], check=True)
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)

    class Messages:
        def __getattr__(self, name):
            return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"habit.v1.{name}"))

        @staticmethod
        def enum(enum_name, value_name):
            return pool.FindEnumTypeByName(f"habit.v1.{enum_name}").values_by_name[value_name].number

    return Messages()
