import json
import os
import socket
import struct
import threading

import pytest

import habitrpc
from habitrpc import Client, RpcError

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "protocol-vectors.json")
ECHO = "/test.Echo/"


def u32(value):
    return struct.pack(">I", value)


@pytest.fixture
def client(server_port):
    c = Client(port=server_port)
    yield c
    c.close()


def load_vectors():
    with open(VECTORS) as f:
        return json.load(f)


@pytest.mark.parametrize("vector", [v for v in load_vectors()["vectors"] if v["kind"] == "frame"], ids=lambda v: v["name"])
def test_frame_vectors(vector):
    data = bytes.fromhex(vector["hex"])
    if not vector["valid"]:
        with pytest.raises(habitrpc.ProtocolError) as raised:
            habitrpc.decode_frame(data, vector["max_frame_size"])
        assert raised.value.name == vector["error"]
        return
    frame, used = habitrpc.decode_frame(data, vector["max_frame_size"])
    if vector.get("incomplete"):
        assert frame is None
        return
    expected = vector["frame"]
    for key, value in expected.items():
        got = frame[key]
        if isinstance(got, bytes):
            got = got.hex()
        if key == "metadata":
            got = [{"key": k, "text": v} if isinstance(v, str) else {"key": k, "binary": v.hex()} for k, v in got]
        assert got == value, key


def test_method_ids():
    for entry in load_vectors()["method_ids"]:
        assert habitrpc.method_id(entry["name"]) == entry["id"]


def test_unary_echo_and_ping(client):
    assert client.unary(ECHO + "Unary", b"hello") == b"hello"
    assert client.unary(ECHO + "Unary", b"") == b""
    assert client.ping() < 5


def test_typed_messages_with_protobuf(client):
    from google.protobuf import wrappers_pb2 as wrappers
    reply = client.unary_message(ECHO + "Unary", wrappers.StringValue(value="typed"), wrappers.StringValue)
    assert reply.value == "typed"


def test_concurrent_calls_from_threads_are_matched(client):
    results, errors = {}, []

    def worker(index):
        try:
            results[index] = client.unary(ECHO + "Unary", u32(index), metadata=[("x-index", str(index))])
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(results[i] == u32(i) for i in range(64))


def test_errors_and_statuses(client):
    with pytest.raises(RpcError) as raised:
        client.unary(ECHO + "Fail", b"no such habit")
    assert raised.value.name == "NOT_FOUND" and raised.value.message == "no such habit"
    with pytest.raises(RpcError) as raised:
        client.unary(ECHO + "Crash", b"")
    assert raised.value.name == "INTERNAL" and "hunter2" not in raised.value.message
    with pytest.raises(RpcError) as raised:
        client.unary(ECHO + "Missing", b"")
    assert raised.value.name == "UNIMPLEMENTED" and raised.value.not_processed


def test_deadline_exceeded(client):
    with pytest.raises(RpcError) as raised:
        client.unary(ECHO + "Slow", u32(10_000), timeout=0.2)
    assert raised.value.name == "DEADLINE_EXCEEDED"
    assert client.unary(ECHO + "Unary", b"still fine") == b"still fine"


def test_server_streaming_beyond_initial_credit(client):
    messages = list(client.stream(ECHO + "Count", [u32(100)]))
    assert messages == [u32(i) for i in range(100)]


def test_client_and_bidirectional_streaming(client):
    assert list(client.stream(ECHO + "Sum", [u32(i) for i in range(1, 51)])) == [u32(1275)]
    assert list(client.stream(ECHO + "Bidi", [u32(i) for i in range(40)])) == [u32(i) for i in range(40)]


def test_bad_preface_gets_clear_errors(server_port):
    with socket.create_connection(("127.0.0.1", server_port)) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b"".join(iter(lambda: raw.recv(4096), b""))
    assert reply.startswith(b"HTTP/1.1 400 Bad Request")
    with socket.create_connection(("127.0.0.1", server_port)) as raw:
        raw.sendall(habitrpc.PREFACE + habitrpc.encode_frame(habitrpc.SETTINGS, 0) + habitrpc.encode_frame(0x07, 1))
        reply = b"".join(iter(lambda: raw.recv(4096), b""))
    frames, offset = [], 0
    while offset < len(reply):
        frame, used = habitrpc.decode_frame(reply[offset:])
        frames.append(frame)
        offset += used
    assert frames[0]["type"] == "SETTINGS"
    assert frames[-1]["type"] == "GOAWAY" and frames[-1]["message"] == "unknown frame type 0x7"
