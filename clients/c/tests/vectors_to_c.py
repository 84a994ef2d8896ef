#!/usr/bin/env python3
"""Turns docs/protocol-vectors.json into C initializers for tests/test_vectors.c (written to stdout, kept in
the build directory). Every string is emitted with octal escapes, so any byte survives."""
import json
import sys


def c_str(value):
    if value is None:
        return "NULL"
    data = value.encode("utf-8") if isinstance(value, str) else value
    return '"' + "".join(chr(b) if (b < 128 and chr(b).isalnum()) or chr(b) in " _-/." else "\\%03o" % b for b in data) + '"'


def c_bool(value):
    return "true" if value else "false"


def vector_initializer(v):
    fields = [
        ".name = %s" % c_str(v["name"]),
        ".is_preface = %s" % c_bool(v["kind"] == "preface"),
        ".hex = %s" % c_str(v["hex"]),
        ".max_frame_size = %du" % v.get("max_frame_size", 0),
        ".valid = %s" % c_bool(v["valid"]),
        ".incomplete = %s" % c_bool(v.get("incomplete", False)),
        ".error = %s" % c_str(v.get("error")),
        ".major = %d" % v.get("major", -1),
        ".minor = %d" % v.get("minor", -1),
    ]
    frame = v.get("frame")
    if frame is not None:
        fields += [
            ".type = %s" % c_str(frame["type"]),
            ".call_id = %du" % frame["call_id"],
            ".flags = %d" % frame.get("flags", -1),
            ".method_id = %du" % frame.get("method_id", 0),
            ".method_name = %s" % c_str(frame.get("name")),
            ".timeout_us = %du" % frame.get("timeout_us", 0),
            ".has_message_field = %s" % c_bool("message" in frame and frame["type"] != "GOAWAY"),
            ".message_hex = %s" % c_str(frame.get("message") if frame["type"] != "GOAWAY" else None),
            ".code = %d" % frame.get("code", 0),
            ".status_message = %s" % c_str(frame.get("status_message")),
            ".not_processed = %s" % c_bool(frame.get("not_processed", False)),
            ".end_stream = %s" % c_bool(frame.get("end_stream", False)),
            ".increment = %du" % frame.get("increment", 0),
            ".data_hex = %s" % c_str(frame.get("data")),
            ".goaway_error = %du" % frame.get("error", 0),
            ".goaway_message = %s" % c_str(frame.get("message") if frame["type"] == "GOAWAY" else None),
            ".oversized_frame_type = %s" % c_str(frame.get("frame_type")),
            ".oversized_length = %du" % frame.get("length", 0),
        ]
        metadata = frame.get("metadata", [])
        entries = []
        for m in metadata:
            is_binary = "binary" in m
            value = bytes.fromhex(m["binary"]) if is_binary else m["text"].encode("utf-8")
            entries.append("{%s, %s, %s, %d}" % (c_str(m["key"]), c_bool(is_binary), c_str(value), len(value)))
        fields.append(".metadata_count = %d" % len(metadata))
        if entries:
            fields.append(".metadata = {%s}" % ", ".join(entries))
        settings = frame.get("settings")
        if settings is not None:
            fields.append(".settings_count = %d" % len(settings))
            fields.append(".settings = {%s}" % ", ".join("{%du, %du}" % (i, val) for i, val in settings))
    return "{" + ", ".join(fields) + "}"


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    print("/* Generated from %s by tests/vectors_to_c.py. DO NOT EDIT. */" % sys.argv[1])
    print("static const int vectors_version = %d;" % doc["version"])
    print("static const method_id_vector method_ids[] = {")
    for m in doc["method_ids"]:
        print("    {%s, %du}," % (c_str(m["name"]), m["id"]))
    print("};")
    print("static const vector vectors[] = {")
    for v in doc["vectors"]:
        print("    %s," % vector_initializer(v))
    print("};")


if __name__ == "__main__":
    main()
