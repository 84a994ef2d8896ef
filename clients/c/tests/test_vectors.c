/* Checks the frame decoder and preface check against every vector of docs/protocol-vectors.json (converted
 * to C by tests/vectors_to_c.py), every strict prefix of each vector, and the REQUEST encoder against the
 * spec's §12 example. Prints "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire.h"

typedef struct {
    const char *name;
    uint32_t id;
} method_id_vector;

typedef struct {
    const char *key;
    bool is_binary;
    const char *value;
    size_t value_len;
} metadata_vector;

typedef struct {
    const char *name;
    bool is_preface;
    const char *hex;
    uint32_t max_frame_size;
    bool valid;
    bool incomplete;
    const char *error;
    int major, minor;
    const char *type;
    uint32_t call_id;
    int flags;
    uint32_t method_id;
    const char *method_name;
    uint64_t timeout_us;
    bool has_message_field;
    const char *message_hex;
    int code;
    const char *status_message;
    bool not_processed;
    bool end_stream;
    uint32_t increment;
    const char *data_hex;
    uint32_t goaway_error;
    const char *goaway_message;
    const char *oversized_frame_type;
    uint32_t oversized_length;
    int metadata_count;
    metadata_vector metadata[8];
    int settings_count;
    uint32_t settings[16][2];
} vector;

#include "vectors.inc"

/* A CHECK that names the vector rather than the source line. */
static void check(bool ok, const char *vector_name, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s: %s\n", vector_name, what);
    }
}

static size_t from_hex(const char *hex, uint8_t *out) {
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned byte;
        sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (uint8_t)byte;
    }
    return n;
}

static bool bytes_equal_hex(const uint8_t *bytes, size_t len, const char *hex) {
    uint8_t expected[4096];
    size_t n = from_hex(hex, expected);
    return n == len && (len == 0 || memcmp(bytes, expected, len) == 0);
}

static const char *type_name(uint8_t type) {
    switch (type) {
    case HRPC_FRAME_REQUEST: return "REQUEST";
    case HRPC_FRAME_RESPONSE: return "RESPONSE";
    case HRPC_FRAME_DATA: return "DATA";
    case HRPC_FRAME_CANCEL: return "CANCEL";
    case HRPC_FRAME_CREDIT: return "CREDIT";
    case HRPC_FRAME_SETTINGS: return "SETTINGS";
    case HRPC_FRAME_PING: return "PING";
    case HRPC_FRAME_PONG: return "PONG";
    case HRPC_FRAME_DRAIN: return "DRAIN";
    case HRPC_FRAME_DRAIN_ACK: return "DRAIN_ACK";
    case HRPC_FRAME_GOAWAY: return "GOAWAY";
    default: return "?";
    }
}

static void check_metadata(const vector *v, const hrpc_frame *f) {
    size_t offset = 0, key_len;
    hrpc_metadata entry;
    int count = 0;
    while (hrpc_metadata_next(f->metadata, f->metadata_len, &offset, &entry, &key_len)) {
        if (count < v->metadata_count) {
            const metadata_vector *m = &v->metadata[count];
            check(key_len == strlen(m->key) && memcmp(entry.key, m->key, key_len) == 0, v->name, "metadata key");
            check(entry.is_binary == m->is_binary, v->name, "metadata kind");
            check(entry.value_len == m->value_len && memcmp(entry.value, m->value, m->value_len) == 0, v->name,
                  "metadata value");
        }
        count++;
    }
    check(count == v->metadata_count, v->name, "metadata entry count");
}

static void check_message(const vector *v, const hrpc_frame *f) {
    if (!v->has_message_field) return;
    if (v->message_hex == NULL) {
        check(!f->has_message, v->name, "message should be absent (NO_MESSAGE)");
    } else {
        check(f->has_message && bytes_equal_hex(f->payload, f->payload_len, v->message_hex), v->name, "message bytes");
    }
}

static void check_frame_fields(const vector *v, const hrpc_frame *f) {
    check(strcmp(type_name(f->type), v->type) == 0, v->name, "frame type");
    check(f->call_id == v->call_id, v->name, "call id");
    check(f->flags == v->flags, v->name, "flags");
    if (f->type == HRPC_FRAME_REQUEST) {
        check(f->method_id == v->method_id, v->name, "method id");
        check(f->name_len == strlen(v->method_name) && memcmp(f->name, v->method_name, f->name_len) == 0, v->name, "method name");
        check(f->timeout_us == v->timeout_us, v->name, "timeout_us");
        check_metadata(v, f);
    } else if (f->type == HRPC_FRAME_RESPONSE) {
        check(f->code == v->code, v->name, "status code");
        check(f->status_message_len == strlen(v->status_message) &&
                  memcmp(f->status_message, v->status_message, f->status_message_len) == 0, v->name, "status message");
        check(((f->flags & HRPC_FLAG_NOT_PROCESSED) != 0) == v->not_processed, v->name, "not processed");
        check_metadata(v, f);
    } else if (f->type == HRPC_FRAME_DATA) {
        check(((f->flags & HRPC_FLAG_END_STREAM) != 0) == v->end_stream, v->name, "end stream");
    } else if (f->type == HRPC_FRAME_CREDIT) {
        check(f->increment == v->increment, v->name, "credit increment");
    } else if (f->type == HRPC_FRAME_SETTINGS) {
        size_t index = 0;
        uint16_t id;
        uint32_t value;
        int count = 0;
        while (hrpc_settings_next(f, &index, &id, &value)) {
            check(count < v->settings_count && id == v->settings[count][0] && value == v->settings[count][1], v->name, "setting");
            count++;
        }
        check(count == v->settings_count, v->name, "settings count");
    } else if (f->type == HRPC_FRAME_PING || f->type == HRPC_FRAME_PONG) {
        check(bytes_equal_hex(f->payload, f->payload_len, v->data_hex), v->name, "ping data");
    } else if (f->type == HRPC_FRAME_GOAWAY) {
        check(f->goaway_error == v->goaway_error, v->name, "goaway error");
        check(f->goaway_message_len == strlen(v->goaway_message) &&
                  memcmp(f->goaway_message, v->goaway_message, f->goaway_message_len) == 0, v->name, "goaway message");
    }
    check_message(v, f);
}

static void check_preface_vector(const vector *v, const uint8_t *bytes, size_t len) {
    uint8_t major = 0, minor = 0;
    hrpc_wire_error error;
    hrpc_decode_status status = hrpc_check_preface(bytes, len, &major, &minor, &error);
    if (v->incomplete) {
        check(status == HRPC_DECODE_NEED_MORE, v->name, "incomplete preface must wait for more bytes");
    } else if (v->valid) {
        check(status == HRPC_DECODE_FRAME && major == v->major && minor == v->minor, v->name, "preface version");
    } else {
        check(status == HRPC_DECODE_ERROR && strcmp(hrpc_wire_error_name(error), v->error) == 0, v->name, v->error);
    }
}

static void check_frame_vector(const vector *v, const uint8_t *bytes, size_t len) {
    hrpc_frame frame;
    size_t consumed = 0;
    hrpc_wire_error error;
    char detail[160] = "";
    hrpc_decode_status status = hrpc_decode_frame(bytes, len, v->max_frame_size, &frame, &consumed, &error, detail, sizeof detail);
    if (v->incomplete) {
        check(status == HRPC_DECODE_NEED_MORE && consumed == 0, v->name, "incomplete frame must wait for more bytes");
    } else if (!v->valid) {
        check(status == HRPC_DECODE_ERROR, v->name, "must be rejected");
        check(strcmp(hrpc_wire_error_name(error), v->error) == 0, v->name, v->error);
        check(detail[0] != '\0', v->name, "error detail names the problem");
    } else if (strcmp(v->type, "IGNORED") == 0) {
        check(status == HRPC_DECODE_IGNORED && consumed == HRPC_HEADER_SIZE && frame.length == hrpc_get_u32(bytes),
              v->name, "extension frame skipped from its header, at any length");
    } else if (strcmp(v->type, "OVERSIZED") == 0) {
        check(status == HRPC_DECODE_OVERSIZED && consumed == HRPC_HEADER_SIZE, v->name, "oversized call frame skipped unbuffered");
        check(frame.call_id == v->call_id && frame.length == v->oversized_length &&
                  strcmp(type_name(frame.type), v->oversized_frame_type) == 0, v->name, "oversized frame header");
    } else {
        check(status == HRPC_DECODE_FRAME && consumed == len, v->name, "decodes as one whole frame");
        if (status == HRPC_DECODE_FRAME) check_frame_fields(v, &frame);
    }
    /* A strict prefix is never a frame: it waits for more, or (invalid input) fails the same way. */
    for (size_t cut = 0; cut < len; cut++) {
        hrpc_decode_status s = hrpc_decode_frame(bytes, cut, v->max_frame_size, &frame, &consumed, &error, NULL, 0);
        bool ok = s == HRPC_DECODE_NEED_MORE || (s == HRPC_DECODE_ERROR && !v->valid) ||
                  (s == HRPC_DECODE_OVERSIZED && strcmp(v->type, "OVERSIZED") == 0) ||
                  (s == HRPC_DECODE_IGNORED && strcmp(v->type, "IGNORED") == 0);
        if (!ok) {
            check(false, v->name, "a prefix decoded as something");
            return;
        }
    }
    passed++;
}

/* The REQUEST the connection core writes for the spec's §12 example is byte for byte the vector. */
static void check_request_encoding(void) {
    hrpc_conn *conn;
    if (hrpc_conn_new(NULL, &conn) != HRPC_OK) {
        check(false, "encoder", "hrpc_conn_new");
        return;
    }
    size_t len;
    const uint8_t *out = hrpc_conn_output(conn, &len);
    check(len >= 8 && bytes_equal_hex(out, 8, "4852504301000000"), "encoder", "preface bytes");
    hrpc_frame frame;
    size_t consumed;
    hrpc_wire_error error;
    check(hrpc_decode_frame(out + 8, len - 8, HRPC_DEFAULT_MAX_FRAME_SIZE, &frame, &consumed, &error, NULL, 0) == HRPC_DECODE_FRAME &&
              frame.type == HRPC_FRAME_SETTINGS && consumed == len - 8, "encoder", "client SETTINGS follows the preface");
    hrpc_conn_consume_output(conn, len);
    const uint8_t payload[] = {0x0a, 0x02, 0x68, 0x69};
    uint32_t id = 0;
    check(hrpc_conn_start_call(conn, "/test.Echo/Unary", payload, sizeof payload, NULL, &id) == HRPC_OK && id == 1,
          "encoder", "start call");
    out = hrpc_conn_output(conn, &len);
    check(bytes_equal_hex(out, len, "00000012000000010101000ea1430dfd000000000000000000000a026869"), "request_unary_by_id",
          "encoded REQUEST equals the vector");
    hrpc_conn_free(conn);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    check(vectors_version == 1, "file", "vectors version 1");
    for (size_t i = 0; i < sizeof method_ids / sizeof method_ids[0]; i++) {
        check(hrpc_method_id(method_ids[i].name) == method_ids[i].id, method_ids[i].name, "FNV-1a method id");
    }
    size_t count = sizeof vectors / sizeof vectors[0];
    for (size_t i = 0; i < count; i++) {
        const vector *v = &vectors[i];
        uint8_t *bytes = malloc(strlen(v->hex) / 2 + 1);
        size_t len = from_hex(v->hex, bytes);
        if (v->is_preface) {
            check_preface_vector(v, bytes, len);
        } else {
            check_frame_vector(v, bytes, len);
        }
        free(bytes);
    }
    check_request_encoding();
    printf("test_vectors: %zu vectors checked\n", count);
    return check_report();
}
