"""Reference HabitRPC client, written from docs/PROTOCOL.md (version 1).

Standard library only; typed calls take any object with SerializeToString() and a message class
with FromString() (Google's `protobuf` package). One Client is one multiplexed TCP connection:
calls from several threads share it, each matched to its response by call id.
"""
import itertools
import queue
import socket
import struct
import threading
import time

PREFACE = b"HRPC\x01\x00\x00\x00"
HEADER = struct.Struct(">IIBBH")  # length, call_id, type, flags, meta_len
REQUEST, RESPONSE, DATA, CANCEL, CREDIT = 0x01, 0x02, 0x03, 0x04, 0x05
SETTINGS, PING, PONG, DRAIN, DRAIN_ACK, GOAWAY = 0x40, 0x41, 0x42, 0x43, 0x44, 0x45
TYPE_NAMES = {REQUEST: "REQUEST", RESPONSE: "RESPONSE", DATA: "DATA", CANCEL: "CANCEL", CREDIT: "CREDIT",
              SETTINGS: "SETTINGS", PING: "PING", PONG: "PONG", DRAIN: "DRAIN", DRAIN_ACK: "DRAIN_ACK",
              GOAWAY: "GOAWAY"}
END_STREAM, NOT_PROCESSED, NO_MESSAGE = 0x01, 0x02, 0x04
STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
                "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]
KEY_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789-_.")


class RpcError(Exception):
    """A call ended with a non-OK status (§7)."""

    def __init__(self, code, message, not_processed=False, metadata=()):
        self.code, self.message, self.not_processed, self.metadata = code, message, not_processed, list(metadata)
        name = STATUS_NAMES[code] if code < len(STATUS_NAMES) else "UNKNOWN"
        super().__init__(f"{name}: {message}")

    @property
    def name(self):
        return STATUS_NAMES[self.code] if self.code < len(STATUS_NAMES) else "UNKNOWN"


class ProtocolError(Exception):
    """Bytes that break the spec; `name` is the error name of the vectors file (§14)."""

    def __init__(self, name, detail=""):
        self.name = name
        super().__init__(f"{name}: {detail}")


def method_id(full_name):
    """FNV-1a 32-bit of the UTF-8 full name (§5.5)."""
    h = 0x811C9DC5
    for b in full_name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def encode_frame(ftype, call_id, flags=0, meta=b"", payload=b""):
    return HEADER.pack(len(meta) + len(payload), call_id, ftype, flags, len(meta)) + meta + payload


def encode_metadata(entries):
    """entries: (key, str | bytes) pairs; str is text, bytes binary (§5.6)."""
    out = b""
    for key, value in entries:
        k = key.lower().encode()
        if not k or len(k) > 255 or not set(k) <= KEY_BYTES or key.startswith("hrpc-"):
            raise ValueError(f"bad metadata key {key!r}")
        kind, v = (1, value) if isinstance(value, bytes) else (0, value.encode())
        out += struct.pack(">BBH", kind, len(k), len(v)) + k + v
    return out


def decode_metadata(data):
    entries, i = [], 0
    while i < len(data):
        if i + 4 > len(data):
            raise ProtocolError("bad_metadata", "entry header truncated")
        kind, klen, vlen = struct.unpack_from(">BBH", data, i)
        i += 4
        key, value = data[i:i + klen], data[i + klen:i + klen + vlen]
        i += klen + vlen
        if i > len(data) or klen == 0 or not set(key) <= KEY_BYTES or kind > 1:
            raise ProtocolError("bad_metadata", "entry malformed")
        if kind == 0:
            try:
                value = value.decode()
            except UnicodeDecodeError:
                raise ProtocolError("bad_metadata", "text not UTF-8")
        if not key.startswith(b"hrpc-"):
            entries.append((key.decode(), value))
    return entries


def decode_frame(data, max_frame_size=4194304):
    """Returns (frame dict, bytes consumed), or (None, 0) if more bytes are needed (§3, §11).

    Consumed is None for a frame skipped unbuffered from its header (an oversized call frame or an extension
    frame): the caller discards the 12 + frame["length"] bytes as they arrive."""
    if len(data) < HEADER.size:
        return None, 0
    length, call_id, ftype, flags, meta_len = HEADER.unpack_from(data)
    if ftype not in TYPE_NAMES:
        if not ftype & 0x80:
            raise ProtocolError("unknown_frame_type", hex(ftype))
        return {"type": "IGNORED", "call_id": call_id, "flags": flags, "length": length}, None  # §3.1
    if (ftype < 0x40) != (call_id != 0):
        raise ProtocolError("bad_call_id", f"{TYPE_NAMES[ftype]} with call id {call_id}")
    if length > max_frame_size:
        if ftype in (REQUEST, DATA, RESPONSE):
            return {"type": "OVERSIZED", "call_id": call_id, "frame_type": TYPE_NAMES[ftype], "length": length}, None
        raise ProtocolError("frame_too_large", f"{length} > {max_frame_size}")
    if meta_len > length:
        raise ProtocolError("meta_exceeds_length", f"{meta_len} > {length}")
    if len(data) < HEADER.size + length:
        return None, 0
    meta = data[HEADER.size:HEADER.size + meta_len]
    payload = data[HEADER.size + meta_len:HEADER.size + length]
    frame = {"type": TYPE_NAMES[ftype], "call_id": call_id, "flags": flags}
    message = payload
    if ftype in (REQUEST, RESPONSE, DATA) and flags & NO_MESSAGE:
        if payload:
            raise ProtocolError("malformed_meta", "NO_MESSAGE with a payload")
        message = None
    if ftype == REQUEST:
        if len(meta) < 14 or 14 + struct.unpack_from(">H", meta, 12)[0] > len(meta):
            raise ProtocolError("malformed_meta", "REQUEST meta")
        mid, timeout, nlen = struct.unpack_from(">IQH", meta)
        frame.update(method_id=mid, timeout_us=timeout, name=meta[14:14 + nlen].decode(),
                     metadata=decode_metadata(meta[14 + nlen:]), message=message)
    elif ftype == RESPONSE:
        if len(meta) < 3 or 3 + struct.unpack_from(">H", meta, 1)[0] > len(meta):
            raise ProtocolError("malformed_meta", "RESPONSE meta")
        code, mlen = struct.unpack_from(">BH", meta)
        if code != 0 and message is not None:
            raise ProtocolError("message_on_error", f"status {code}")
        frame.update(code=code, status_message=meta[3:3 + mlen].decode(errors="replace"),
                     not_processed=bool(flags & NOT_PROCESSED), metadata=decode_metadata(meta[3 + mlen:]),
                     message=message)
    elif ftype == DATA:
        if meta:
            raise ProtocolError("malformed_meta", "DATA meta")
        if message is None and not flags & END_STREAM:
            raise ProtocolError("missing_message", "NO_MESSAGE without END_STREAM")
        frame.update(end_stream=bool(flags & END_STREAM), message=message)
    elif ftype == CREDIT:
        if len(meta) != 4 or payload:
            raise ProtocolError("malformed_meta", "CREDIT")
        frame["increment"] = struct.unpack(">I", meta)[0]
        if frame["increment"] == 0:
            raise ProtocolError("zero_credit", "0")
    elif ftype == SETTINGS:
        if len(meta) % 6 or payload:
            raise ProtocolError("bad_settings", "length")
        frame["settings"] = [list(struct.unpack_from(">HI", meta, i)) for i in range(0, len(meta), 6)]
        for sid, value in frame["settings"]:
            if sid == 1 and not 16384 <= value <= 0x7FFFFFFF or sid == 3 and value > 0x7FFFFFFF:
                raise ProtocolError("bad_settings", f"id {sid} value {value}")
    elif ftype in (PING, PONG):
        if meta or len(payload) != 8:
            raise ProtocolError("bad_ping", "length")
        frame["data"] = payload
    elif ftype == GOAWAY:
        if len(meta) < 4 or payload:
            raise ProtocolError("malformed_meta", "GOAWAY")
        frame.update(error=struct.unpack_from(">I", meta)[0], message=meta[4:].decode(errors="replace"))
    elif meta or payload:  # CANCEL, DRAIN, DRAIN_ACK
        raise ProtocolError("malformed_meta", TYPE_NAMES[ftype])
    return frame, HEADER.size + length


class _Call:
    def __init__(self, send_credit):
        self.events = queue.Queue()  # ("data", bytes) | ("end", bytes|None) | ("error", RpcError)
        self.send_credit = send_credit


class Client:
    """One connection; thread-safe. `timeout` on calls is the deadline in seconds (§8)."""

    def __init__(self, host="127.0.0.1", port=7070, connect_timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.lock, self.credit_changed = threading.Lock(), threading.Condition()
        self.calls, self.ids = {}, itertools.count(1)
        self.settings, self.ready, self.closed_error = {}, threading.Event(), None
        self.draining, self.pongs = False, queue.Queue()
        self._send(PREFACE + encode_frame(SETTINGS, 0, meta=struct.pack(">HIHI", 2, 0, 3, 16)))
        threading.Thread(target=self._read_loop, daemon=True).start()
        if not self.ready.wait(connect_timeout) or self.closed_error:
            raise ConnectionError(f"no SETTINGS from server: {self.closed_error}")

    def _send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def _read_loop(self):
        buffer, skip = b"", 0
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                buffer += chunk
                while True:
                    if skip:
                        taken = min(skip, len(buffer))
                        buffer, skip = buffer[taken:], skip - taken
                        if skip:
                            break
                    frame, used = decode_frame(buffer)
                    if frame is None:
                        break
                    if used is None:  # oversized call frame or extension frame: skip its bytes unbuffered
                        skip, used = HEADER.size + frame["length"], 0
                    buffer = buffer[used:]
                    self._handle(frame)
        except (OSError, ConnectionError, ProtocolError) as error:
            self._fail_all(error)

    def _handle(self, f):
        kind, call = f["type"], self.calls.get(f["call_id"])
        if kind == "SETTINGS":
            self.settings.update({sid: value for sid, value in f["settings"]})
            self.ready.set()
        elif kind == "PING":
            self._send(encode_frame(PONG, 0, payload=f["data"]))
        elif kind == "PONG":
            self.pongs.put(f["data"])
        elif kind == "DRAIN":
            self.draining = True
            self._send(encode_frame(DRAIN_ACK, 0))
        elif kind == "GOAWAY":
            raise ConnectionError(f"GOAWAY {f['error']}: {f['message']}")
        elif kind == "OVERSIZED" and call:
            call.events.put(("error", RpcError(8, f"frame of {f['length']} bytes exceeds max")))
        elif kind == "DATA" and call:
            call.events.put(("data", f["message"]))
            self._send(encode_frame(CREDIT, f["call_id"], meta=struct.pack(">I", 1)))
        elif kind == "CREDIT" and call:
            with self.credit_changed:
                call.send_credit += f["increment"]
                self.credit_changed.notify_all()
        elif kind == "RESPONSE" and f["call_id"] in self.calls:
            del self.calls[f["call_id"]]
            if f["code"]:
                call.events.put(("error", RpcError(f["code"], f["status_message"], f["not_processed"], f["metadata"])))
            else:
                call.events.put(("end", f["message"]))

    def _fail_all(self, error):
        self.closed_error = error
        self.ready.set()
        for call in list(self.calls.values()):
            call.events.put(("error", RpcError(14, f"connection lost: {error}")))
        with self.credit_changed:
            self.credit_changed.notify_all()

    def _open(self, method, message, end_stream, timeout, metadata):
        if self.draining or self.closed_error:
            raise RpcError(14, "connection is draining or closed", not_processed=True)
        call_id = next(self.ids)
        call = self.calls[call_id] = _Call(self.settings.get(3, 16))
        meta = struct.pack(">IQH", method_id(method), int(timeout * 1e6) if timeout else 0, 0)
        flags = (END_STREAM if end_stream else 0) | (NO_MESSAGE if message is None else 0)
        self._send(encode_frame(REQUEST, call_id, flags, meta + encode_metadata(metadata or ()), message or b""))
        return call_id, call

    def _next(self, call_id, call, deadline):
        try:
            return call.events.get(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self._send(encode_frame(CANCEL, call_id))  # the id stays reserved until its RESPONSE (§4)
            raise RpcError(4, "deadline exceeded (client)")

    def unary(self, method, request, timeout=None, metadata=None):
        """One message in, one out; raises RpcError."""
        deadline = time.monotonic() + timeout if timeout else None
        call_id, call = self._open(method, request, True, timeout, metadata)
        kind, value = self._next(call_id, call, deadline)
        if kind == "error":
            raise value
        return value

    def stream(self, method, requests=(), timeout=None, metadata=None):
        """Any streaming shape: sends `requests` (respecting credit), then yields every response message."""
        deadline = time.monotonic() + timeout if timeout else None
        call_id, call = self._open(method, None, False, timeout, metadata)
        for message in requests:
            with self.credit_changed:
                while call.send_credit == 0 and call_id in self.calls and not self.closed_error:
                    self.credit_changed.wait(0.1)
                call.send_credit -= 1
            if call_id not in self.calls:
                break
            self._send(encode_frame(DATA, call_id, 0, b"", message))
        self._send(encode_frame(DATA, call_id, END_STREAM | NO_MESSAGE))
        while True:
            kind, value = self._next(call_id, call, deadline)
            if kind == "error":
                raise value
            if value is not None:
                yield value
            if kind == "end":
                return

    def unary_message(self, method, request, response_class, **kwargs):
        """A typed unary call with protobuf messages."""
        return response_class.FromString(self.unary(method, request.SerializeToString(), **kwargs))

    def ping(self, timeout=5.0):
        """Round-trip time of a PING in seconds."""
        start = time.monotonic()
        self._send(encode_frame(PING, 0, payload=b"pingpong"))
        if self.pongs.get(timeout=timeout) != b"pingpong":
            raise ProtocolError("bad_ping", "PONG data differs")
        return time.monotonic() - start

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
