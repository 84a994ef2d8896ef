"""Client of `habit-proto-conformance`, the Swift side of the conformance tests.

One long-lived process serves every request over stdin/stdout. Frames are a 4-byte big-endian
length followed by the body. A request body is `op (1 byte) | name length (2 bytes, big-endian) |
full message name | payload`; a response body is `status (1 byte) | payload`. The protocol is
documented once, in Sources/ProtoConformance/ConformanceProtocol.swift.
"""

from __future__ import annotations

import enum
import struct
import subprocess


class Operation(enum.IntEnum):
    """What the Swift tool does with a payload (decode side -> encode side)."""

    BINARY_TO_BINARY = 1
    BINARY_TO_JSON = 2
    JSON_TO_BINARY = 3
    JSON_TO_JSON = 4
    JSON_IGNORING_UNKNOWN_TO_BINARY = 5


class Status(enum.IntEnum):
    """How the Swift tool answered."""

    OK = 0
    DECODE_FAILED = 1
    BAD_REQUEST = 2
    ROUND_TRIP_UNSTABLE = 3


class SwiftCrashed(RuntimeError):
    """The Swift process died while answering: a crash on input is always a failure."""


class SwiftCodec:
    """A running `habit-proto-conformance` process."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._process = self._start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([self.executable], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def call(self, operation: Operation, message_name: str, payload: bytes) -> tuple[Status, bytes]:
        """Sends one request and returns the status and the payload of the answer."""
        if self._process.poll() is not None:
            self._process = self._start()
        name = message_name.encode()
        body = bytes([operation]) + struct.pack(">H", len(name)) + name + payload
        try:
            self._process.stdin.write(struct.pack(">I", len(body)) + body)
            self._process.stdin.flush()
            header = self._read_exactly(4)
            answer = self._read_exactly(struct.unpack(">I", header)[0])
        except (BrokenPipeError, SwiftCrashed) as error:
            code = self._process.wait()
            raise SwiftCrashed(f"{self.executable} exited with {code} on {operation.name} {message_name} "
                               f"payload={payload!r}") from error
        return Status(answer[0]), answer[1:]

    def expect_ok(self, operation: Operation, message_name: str, payload: bytes) -> bytes:
        """Like call, but fails unless the answer is OK."""
        status, answer = self.call(operation, message_name, payload)
        assert status == Status.OK, f"{operation.name} {message_name}: {status.name}: {answer!r} for {payload!r}"
        return answer

    def _read_exactly(self, count: int) -> bytes:
        data = self._process.stdout.read(count)
        if data is None or len(data) != count:
            raise SwiftCrashed("short read")
        return data

    def close(self) -> None:
        """Ends the process by closing its input, and waits for it."""
        self._process.stdin.close()
        self._process.wait(timeout=30)
