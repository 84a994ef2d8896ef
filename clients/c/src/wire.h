/* wire.h: HabitRPC frame layout (PROTOCOL.md §2-§10) without sockets or connection state.
 *
 * The decoder reads one frame from a byte buffer, checks every length against the bytes present before
 * reading, and returns views into that buffer (no allocation). The encoders append frames to a growable
 * byte buffer. The connection (conn.c) and the tests use both.
 */
#ifndef HABITRPC_WIRE_H
#define HABITRPC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "habitrpc.h"

enum {
    HRPC_HEADER_SIZE = 12,
    HRPC_PREFACE_SIZE = 8,
    HRPC_PING_SIZE = 8,
    HRPC_DEFAULT_MAX_FRAME_SIZE = 4194304,
    HRPC_MIN_MAX_FRAME_SIZE = 16384,
    HRPC_DEFAULT_MAX_METADATA_SIZE = 8192,
    HRPC_DEFAULT_MAX_CONCURRENT_CALLS = 100,
};
#define HRPC_MAX_MAX_FRAME_SIZE 0x7FFFFFFFu

typedef enum {
    HRPC_FRAME_REQUEST = 0x01,
    HRPC_FRAME_RESPONSE = 0x02,
    HRPC_FRAME_DATA = 0x03,
    HRPC_FRAME_CANCEL = 0x04,
    HRPC_FRAME_CREDIT = 0x05,
    HRPC_FRAME_SETTINGS = 0x40,
    HRPC_FRAME_PING = 0x41,
    HRPC_FRAME_PONG = 0x42,
    HRPC_FRAME_DRAIN = 0x43,
    HRPC_FRAME_DRAIN_ACK = 0x44,
    HRPC_FRAME_GOAWAY = 0x45,
} hrpc_frame_type;

enum {
    HRPC_FLAG_END_STREAM = 0x01,
    HRPC_FLAG_NOT_PROCESSED = 0x02,
    HRPC_FLAG_NO_MESSAGE = 0x04,
};

enum {
    HRPC_SETTING_MAX_FRAME_SIZE = 1,
    HRPC_SETTING_MAX_CONCURRENT_CALLS = 2,
    HRPC_SETTING_INITIAL_CALL_CREDIT = 3,
    HRPC_SETTING_MAX_METADATA_SIZE = 4,
    HRPC_SETTING_KEEPALIVE_TIME_MS = 5,
};

/* GOAWAY error codes (PROTOCOL.md §10). */
typedef enum {
    HRPC_GOAWAY_NO_ERROR = 0,
    HRPC_GOAWAY_PROTOCOL_ERROR = 1,
    HRPC_GOAWAY_UNSUPPORTED_VERSION = 2,
    HRPC_GOAWAY_FRAME_TOO_LARGE = 3,
    HRPC_GOAWAY_FLOW_CONTROL_ERROR = 4,
    HRPC_GOAWAY_DUPLICATE_CALL_ID = 5,
    HRPC_GOAWAY_TOO_MANY_PINGS = 6,
    HRPC_GOAWAY_TIMEOUT = 7,
    HRPC_GOAWAY_INTERNAL_ERROR = 8,
    HRPC_GOAWAY_RESOURCE_LIMIT = 9,
} hrpc_goaway_error;

/* What a receiver must detect; names match the vectors file's `error` values (PROTOCOL.md §13). */
typedef enum {
    HRPC_WIRE_OK = 0,
    HRPC_WIRE_BAD_PREFACE_HTTP,
    HRPC_WIRE_BAD_PREFACE_TLS,
    HRPC_WIRE_BAD_PREFACE,
    HRPC_WIRE_UNSUPPORTED_VERSION,
    HRPC_WIRE_FRAME_TOO_LARGE,
    HRPC_WIRE_META_EXCEEDS_LENGTH,
    HRPC_WIRE_UNKNOWN_FRAME_TYPE,
    HRPC_WIRE_BAD_CALL_ID,
    HRPC_WIRE_MALFORMED_META,
    HRPC_WIRE_BAD_METADATA,
    HRPC_WIRE_BAD_SETTINGS,
    HRPC_WIRE_BAD_PING,
    HRPC_WIRE_ZERO_CREDIT,
    HRPC_WIRE_MESSAGE_ON_ERROR,
    HRPC_WIRE_MISSING_MESSAGE,
} hrpc_wire_error;

/* The vectors-file name of an error ("malformed_meta"). */
const char *hrpc_wire_error_name(hrpc_wire_error error);

typedef enum {
    HRPC_DECODE_NEED_MORE,  /* not a whole frame yet: nothing consumed */
    HRPC_DECODE_FRAME,      /* *frame is filled; `consumed` bytes belong to it */
    HRPC_DECODE_IGNORED,    /* an extension frame (type >= 0x80), any length: header consumed, skip frame->length more */
    HRPC_DECODE_OVERSIZED,  /* a REQUEST/RESPONSE/DATA over the limit: header consumed, skip frame->length more */
    HRPC_DECODE_ERROR,      /* a protocol error; *error says which, *detail says how */
} hrpc_decode_status;

/* One decoded frame; pointers are views into the decoded buffer. */
typedef struct {
    uint32_t length;
    uint32_t call_id;
    uint8_t type;
    uint8_t flags;
    const uint8_t *meta;
    uint16_t meta_len;
    const uint8_t *payload;
    uint32_t payload_len;
    bool has_message;            /* REQUEST, RESPONSE, DATA: NO_MESSAGE is clear */
    /* REQUEST */
    uint32_t method_id;
    uint64_t timeout_us;
    const uint8_t *name;
    uint16_t name_len;
    /* REQUEST and RESPONSE: the metadata entries block (validated) */
    const uint8_t *metadata;
    size_t metadata_len;
    /* RESPONSE */
    uint8_t code;
    const uint8_t *status_message;
    uint16_t status_message_len;
    /* CREDIT */
    uint32_t increment;
    /* GOAWAY (message runs to the end of meta, not validated as UTF-8) */
    uint32_t goaway_error;
    const uint8_t *goaway_message;
    size_t goaway_message_len;
} hrpc_frame;

/* Decodes the frame at the start of buf. Checks length against max_frame_size as soon as the header is
 * present, before waiting for the body. Direction is not checked here (see conn.c). */
hrpc_decode_status hrpc_decode_frame(const uint8_t *buf, size_t len, uint32_t max_frame_size, hrpc_frame *frame,
                                     size_t *consumed, hrpc_wire_error *error, char *detail, size_t detail_len);

/* Walks a validated metadata block: fills *entry (value points into the block, key is NOT NUL-terminated:
 * key_len says its length) and advances *offset; false at the end. */
bool hrpc_metadata_next(const uint8_t *block, size_t block_len, size_t *offset, hrpc_metadata *entry,
                        size_t *key_len);

/* Walks a SETTINGS meta block (validated): false at the end. */
bool hrpc_settings_next(const hrpc_frame *frame, size_t *index, uint16_t *id, uint32_t *value);

/* Checks a client preface as its bytes arrive (PROTOCOL.md §2): NEED_MORE, FRAME (valid; *major and *minor
 * set) or ERROR (*error set). For servers and test tools written in C. */
hrpc_decode_status hrpc_check_preface(const uint8_t *buf, size_t len, uint8_t *major, uint8_t *minor,
                                      hrpc_wire_error *error);

bool hrpc_utf8_valid(const uint8_t *bytes, size_t len);
/* A NUL-terminated copy with each invalid UTF-8 sequence replaced by U+FFFD; NULL if out of memory. */
char *hrpc_utf8_sanitized_copy(const uint8_t *bytes, size_t len);
/* Whether a metadata key is 1..255 bytes of a-z 0-9 - _ . */
bool hrpc_metadata_key_valid(const uint8_t *key, size_t len);

/* A growable byte buffer: bytes [start, end) are live. */
typedef struct {
    uint8_t *data;
    size_t start;
    size_t end;
    size_t capacity;
} hrpc_buffer;

void hrpc_buffer_free(hrpc_buffer *buffer);
/* Makes room for `extra` more bytes at the end (compacting or growing); NULL if out of memory. */
uint8_t *hrpc_buffer_reserve(hrpc_buffer *buffer, size_t extra);
void hrpc_buffer_consume(hrpc_buffer *buffer, size_t len);

/* Writes a 12-byte frame header at dst. */
void hrpc_put_header(uint8_t *dst, uint32_t length, uint32_t call_id, uint8_t type, uint8_t flags, uint16_t meta_len);
/* Appends a frame with the given meta and payload. */
hrpc_err hrpc_append_frame(hrpc_buffer *out, uint32_t call_id, uint8_t type, uint8_t flags, const uint8_t *meta,
                           uint16_t meta_len, const uint8_t *payload, uint32_t payload_len);
/* The encoded size of metadata entries, after validating them (keys, UTF-8 text, value lengths);
 * HRPC_ERR_INVALID_ARGUMENT with a reason in *why otherwise. */
hrpc_err hrpc_metadata_encoded_size(const hrpc_metadata *entries, size_t count, size_t *size, const char **why);
/* Writes validated metadata entries at dst; returns the end. */
uint8_t *hrpc_put_metadata(uint8_t *dst, const hrpc_metadata *entries, size_t count);

static inline void hrpc_put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void hrpc_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void hrpc_put_u64(uint8_t *p, uint64_t v) {
    hrpc_put_u32(p, (uint32_t)(v >> 32));
    hrpc_put_u32(p + 4, (uint32_t)v);
}
static inline uint16_t hrpc_get_u16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t hrpc_get_u32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint64_t hrpc_get_u64(const uint8_t *p) { return ((uint64_t)hrpc_get_u32(p) << 32) | hrpc_get_u32(p + 4); }

#endif
