#!/usr/bin/env python3
"""Writes docs/protocol-vectors.json from the byte layouts of docs/PROTOCOL.md.

Written by hand from the spec with struct.pack, independent of the Swift encoder, so the Swift and
Python tests that decode these bytes check the implementations against the spec, not against each
other. Run it after changing the spec: python3 docs/make-protocol-vectors.py
"""
import json
import os
import struct

REQUEST, RESPONSE, DATA, CANCEL, CREDIT = 0x01, 0x02, 0x03, 0x04, 0x05
SETTINGS, PING, PONG, DRAIN, DRAIN_ACK, GOAWAY = 0x40, 0x41, 0x42, 0x43, 0x44, 0x45
END_STREAM, NOT_PROCESSED, NO_MESSAGE = 0x01, 0x02, 0x04
NAMES = {REQUEST: "REQUEST", RESPONSE: "RESPONSE", DATA: "DATA", CANCEL: "CANCEL", CREDIT: "CREDIT",
         SETTINGS: "SETTINGS", PING: "PING", PONG: "PONG", DRAIN: "DRAIN", DRAIN_ACK: "DRAIN_ACK",
         GOAWAY: "GOAWAY"}
DEFAULT_MAX = 4194304


def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def frame(ftype, call_id, flags, meta=b"", payload=b""):
    return struct.pack(">IIBBH", len(meta) + len(payload), call_id, ftype, flags, len(meta)) + meta + payload


def entry(key, value, binary=False):
    k = key.encode()
    v = value if binary else value.encode()
    return struct.pack(">BBH", 1 if binary else 0, len(k), len(v)) + k + v


def request_meta(method_id, timeout_us=0, name="", entries=b""):
    n = name.encode()
    return struct.pack(">IQH", method_id, timeout_us, len(n)) + n + entries


def response_meta(code, message="", entries=b""):
    m = message.encode()
    return struct.pack(">BH", code, len(m)) + m + entries


vectors = []


def valid(name, data, decoded, max_frame_size=DEFAULT_MAX):
    vectors.append({"name": name, "kind": "frame", "hex": data.hex(), "max_frame_size": max_frame_size,
                    "valid": True, "frame": decoded})


def invalid(name, data, error, max_frame_size=DEFAULT_MAX):
    vectors.append({"name": name, "kind": "frame", "hex": data.hex(), "max_frame_size": max_frame_size,
                    "valid": False, "error": error})


def base(ftype, call_id, flags):
    return {"type": NAMES[ftype], "call_id": call_id, "flags": flags}


ECHO = "/test.Echo/Unary"
ECHO_ID = fnv1a(ECHO)
assert fnv1a("/habit.v1.HabitService/CreateHabit") == 0xB42D6F9F, hex(fnv1a("/habit.v1.HabitService/CreateHabit"))
assert fnv1a("/grpc.health.v1.Health/Check") == 0xFE638A78, hex(fnv1a("/grpc.health.v1.Health/Check"))

# Prefaces.
vectors.append({"name": "preface_v1_0", "kind": "preface", "hex": "4852504301000000", "valid": True,
                "major": 1, "minor": 0})
vectors.append({"name": "preface_v1_3_accepted", "kind": "preface", "hex": "4852504301030000", "valid": True,
                "major": 1, "minor": 3})
vectors.append({"name": "preface_v2_rejected", "kind": "preface", "hex": "4852504302000000", "valid": False,
                "error": "unsupported_version"})
vectors.append({"name": "preface_http_get", "kind": "preface", "hex": b"GET / HTTP/1.1\r\n".hex(), "valid": False,
                "error": "bad_preface_http"})
vectors.append({"name": "preface_http2", "kind": "preface", "hex": b"PRI * HTTP/2.0\r\n".hex(), "valid": False,
                "error": "bad_preface_http"})
vectors.append({"name": "preface_tls_client_hello", "kind": "preface", "hex": "160301020001", "valid": False,
                "error": "bad_preface_tls"})
vectors.append({"name": "preface_garbage", "kind": "preface", "hex": "00010203", "valid": False,
                "error": "bad_preface"})
vectors.append({"name": "preface_incomplete_magic_prefix", "kind": "preface", "hex": "4852", "incomplete": True,
                "valid": True})
vectors.append({"name": "preface_magic_mismatch_early", "kind": "preface", "hex": "48525a", "valid": False,
                "error": "bad_preface"})

# REQUEST.
msg = bytes.fromhex("0a026869")
valid("request_unary_by_id", frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID), msg),
      {**base(REQUEST, 1, END_STREAM), "method_id": ECHO_ID, "name": "", "timeout_us": 0, "metadata": [],
       "message": msg.hex()})
valid("request_by_name_with_deadline_and_metadata",
      frame(REQUEST, 0xFFFFFFFF, END_STREAM,
            request_meta(0, 250000, ECHO, entry("authorization", "Bearer t") + entry("trace-bin", b"\x00\xff", True)),
            b""),
      {**base(REQUEST, 0xFFFFFFFF, END_STREAM), "method_id": 0, "name": ECHO, "timeout_us": 250000,
       "metadata": [{"key": "authorization", "text": "Bearer t"}, {"key": "trace-bin", "binary": "00ff"}],
       "message": ""})
valid("request_streaming_open_without_message", frame(REQUEST, 7, NO_MESSAGE, request_meta(ECHO_ID)),
      {**base(REQUEST, 7, NO_MESSAGE), "method_id": ECHO_ID, "name": "", "timeout_us": 0, "metadata": [],
       "message": None})
invalid("request_call_id_zero", frame(REQUEST, 0, END_STREAM, request_meta(ECHO_ID), msg), "bad_call_id")
invalid("request_meta_too_short", frame(REQUEST, 1, END_STREAM, struct.pack(">IQ", ECHO_ID, 0)), "malformed_meta")
invalid("request_name_runs_past_meta", frame(REQUEST, 1, END_STREAM, struct.pack(">IQH", 0, 0, 40) + b"/x"),
        "malformed_meta")
invalid("request_metadata_entry_truncated",
        frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID, entries=entry("a", "b")[:-1])), "bad_metadata")
invalid("request_metadata_uppercase_key",
        frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID, entries=entry("Auth", "b"))), "bad_metadata")
invalid("request_metadata_empty_key",
        frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID, entries=struct.pack(">BBH", 0, 0, 0))), "bad_metadata")
invalid("request_metadata_unknown_kind",
        frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID, entries=struct.pack(">BBH", 2, 1, 0) + b"a")),
        "bad_metadata")
invalid("request_metadata_text_not_utf8",
        frame(REQUEST, 1, END_STREAM, request_meta(ECHO_ID, entries=struct.pack(">BBH", 0, 1, 2) + b"a\xff\xfe")),
        "bad_metadata")
invalid("request_no_message_with_payload", frame(REQUEST, 1, NO_MESSAGE, request_meta(ECHO_ID), msg),
        "malformed_meta")

# RESPONSE.
valid("response_ok_with_message", frame(RESPONSE, 1, 0, response_meta(0), msg),
      {**base(RESPONSE, 1, 0), "code": 0, "status_message": "", "not_processed": False, "metadata": [],
       "message": msg.hex()})
valid("response_unavailable_not_processed",
      frame(RESPONSE, 9, NOT_PROCESSED | NO_MESSAGE, response_meta(14, "server draining", entry("retry-after-ms", "100"))),
      {**base(RESPONSE, 9, NOT_PROCESSED | NO_MESSAGE), "code": 14, "status_message": "server draining",
       "not_processed": True, "metadata": [{"key": "retry-after-ms", "text": "100"}], "message": None})
valid("response_unknown_code_kept", frame(RESPONSE, 2, NO_MESSAGE, response_meta(42, "new")),
      {**base(RESPONSE, 2, NO_MESSAGE), "code": 42, "status_message": "new", "not_processed": False,
       "metadata": [], "message": None})
invalid("response_error_with_message", frame(RESPONSE, 1, 0, response_meta(13, "x"), msg), "message_on_error")
invalid("response_message_runs_past_meta", frame(RESPONSE, 1, NO_MESSAGE, struct.pack(">BH", 13, 9) + b"abc"),
        "malformed_meta")
invalid("response_meta_empty", frame(RESPONSE, 1, NO_MESSAGE), "malformed_meta")
invalid("response_call_id_zero", frame(RESPONSE, 0, 0, response_meta(0), msg), "bad_call_id")

# DATA.
valid("data_message", frame(DATA, 3, 0, b"", msg),
      {**base(DATA, 3, 0), "end_stream": False, "message": msg.hex()})
valid("data_empty_message_end_stream", frame(DATA, 3, END_STREAM),
      {**base(DATA, 3, END_STREAM), "end_stream": True, "message": ""})
valid("data_half_close_only", frame(DATA, 3, END_STREAM | NO_MESSAGE),
      {**base(DATA, 3, END_STREAM | NO_MESSAGE), "end_stream": True, "message": None})
valid("data_undefined_flag_bits_ignored", frame(DATA, 3, 0xF0, b"", msg),
      {**base(DATA, 3, 0xF0), "end_stream": False, "message": msg.hex()})
invalid("data_no_message_without_end_stream", frame(DATA, 3, NO_MESSAGE), "missing_message")
invalid("data_with_meta", frame(DATA, 3, 0, b"\x00", msg), "malformed_meta")
invalid("data_call_id_zero", frame(DATA, 0, 0, b"", msg), "bad_call_id")

# CANCEL and CREDIT.
valid("cancel", frame(CANCEL, 5, 0), base(CANCEL, 5, 0))
invalid("cancel_with_payload", frame(CANCEL, 5, 0, b"", b"x"), "malformed_meta")
invalid("cancel_call_id_zero", frame(CANCEL, 0, 0), "bad_call_id")
valid("credit", frame(CREDIT, 5, 0, struct.pack(">I", 16)), {**base(CREDIT, 5, 0), "increment": 16})
invalid("credit_zero", frame(CREDIT, 5, 0, struct.pack(">I", 0)), "zero_credit")
invalid("credit_short_meta", frame(CREDIT, 5, 0, b"\x00\x01"), "malformed_meta")

# SETTINGS.
settings = [[1, 4194304], [2, 100], [3, 16], [4, 8192], [5, 30000], [6, 5000], [7, 300000]]
valid("settings_all", frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", i, v) for i, v in settings)),
      {**base(SETTINGS, 0, 0), "settings": settings})
valid("settings_empty", frame(SETTINGS, 0, 0), {**base(SETTINGS, 0, 0), "settings": []})
valid("settings_unknown_id_kept", frame(SETTINGS, 0, 0, struct.pack(">HI", 99, 1)),
      {**base(SETTINGS, 0, 0), "settings": [[99, 1]]})
invalid("settings_length_not_multiple_of_6", frame(SETTINGS, 0, 0, struct.pack(">HI", 1, 16384) + b"\x00"),
        "bad_settings")
invalid("settings_max_frame_size_too_small", frame(SETTINGS, 0, 0, struct.pack(">HI", 1, 100)), "bad_settings")
invalid("settings_call_id_nonzero", frame(SETTINGS, 1, 0), "bad_call_id")

# PING, PONG, DRAIN, DRAIN_ACK, GOAWAY.
data8 = bytes(range(1, 9))
valid("ping", frame(PING, 0, 0, b"", data8), {**base(PING, 0, 0), "data": data8.hex()})
valid("pong", frame(PONG, 0, 0, b"", data8), {**base(PONG, 0, 0), "data": data8.hex()})
invalid("ping_short", frame(PING, 0, 0, b"", data8[:4]), "bad_ping")
invalid("ping_call_id_nonzero", frame(PING, 1, 0, b"", data8), "bad_call_id")
valid("drain", frame(DRAIN, 0, 0), base(DRAIN, 0, 0))
valid("drain_ack", frame(DRAIN_ACK, 0, 0), base(DRAIN_ACK, 0, 0))
invalid("drain_with_payload", frame(DRAIN, 0, 0, b"", b"x"), "malformed_meta")
valid("goaway_protocol_error", frame(GOAWAY, 0, 0, struct.pack(">I", 1) + b"unknown frame type 0x07"),
      {**base(GOAWAY, 0, 0), "error": 1, "message": "unknown frame type 0x07"})
invalid("goaway_short_meta", frame(GOAWAY, 0, 0, b"\x00\x00"), "malformed_meta")

# Framing.
valid("extension_type_ignored", frame(0x80, 0, 0, b"", b"whatever"), {"type": "IGNORED", "call_id": 0, "flags": 0})
# Skipped from the header alone, whatever its length: never frame_too_large, never buffered (§3.1).
valid("extension_type_over_max_frame_size_skipped", struct.pack(">IIBBH", 0xFFFFFFFF, 0, 0xC3, 0, 0xFFFF),
      {"type": "IGNORED", "call_id": 0, "flags": 0}, max_frame_size=16384)
invalid("unknown_type", frame(0x07, 1, 0), "unknown_frame_type")
invalid("meta_len_exceeds_length", struct.pack(">IIBBH", 2, 1, DATA, 0, 3) + b"\x00\x00", "meta_exceeds_length")
invalid("settings_over_max_frame_size", struct.pack(">IIBBH", 20000, 0, SETTINGS, 0, 0), "frame_too_large",
        max_frame_size=16384)
valid("request_over_max_frame_size_skipped", struct.pack(">IIBBH", 9014796, 11, REQUEST, END_STREAM, 14),
      {"type": "OVERSIZED", "call_id": 11, "frame_type": "REQUEST", "length": 9014796})
vectors.append({"name": "header_incomplete", "kind": "frame", "hex": frame(DATA, 3, 0, b"", msg)[:11].hex(),
                "max_frame_size": DEFAULT_MAX, "valid": True, "incomplete": True})
vectors.append({"name": "body_incomplete", "kind": "frame", "hex": frame(DATA, 3, 0, b"", msg)[:14].hex(),
                "max_frame_size": DEFAULT_MAX, "valid": True, "incomplete": True})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "protocol-vectors.json")
with open(out, "w") as f:
    method_ids = [{"name": n, "id": fnv1a(n)} for n in
                  ["a", ECHO, "/habit.v1.HabitService/CreateHabit", "/grpc.health.v1.Health/Check"]]
    json.dump({"version": 1, "method_ids": method_ids, "vectors": vectors}, f, indent=1)
    f.write("\n")
print(f"wrote {len(vectors)} vectors to {out}")
