/* wire.c: frame decoding and encoding (PROTOCOL.md §2-§10). See wire.h. */
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t preface_magic[4] = {'H', 'R', 'P', 'C'};

const char *hrpc_wire_error_name(hrpc_wire_error error) {
    switch (error) {
    case HRPC_WIRE_OK: return "ok";
    case HRPC_WIRE_BAD_PREFACE_HTTP: return "bad_preface_http";
    case HRPC_WIRE_BAD_PREFACE_TLS: return "bad_preface_tls";
    case HRPC_WIRE_BAD_PREFACE: return "bad_preface";
    case HRPC_WIRE_UNSUPPORTED_VERSION: return "unsupported_version";
    case HRPC_WIRE_FRAME_TOO_LARGE: return "frame_too_large";
    case HRPC_WIRE_META_EXCEEDS_LENGTH: return "meta_exceeds_length";
    case HRPC_WIRE_UNKNOWN_FRAME_TYPE: return "unknown_frame_type";
    case HRPC_WIRE_BAD_CALL_ID: return "bad_call_id";
    case HRPC_WIRE_MALFORMED_META: return "malformed_meta";
    case HRPC_WIRE_BAD_METADATA: return "bad_metadata";
    case HRPC_WIRE_BAD_SETTINGS: return "bad_settings";
    case HRPC_WIRE_BAD_PING: return "bad_ping";
    case HRPC_WIRE_ZERO_CREDIT: return "zero_credit";
    case HRPC_WIRE_MESSAGE_ON_ERROR: return "message_on_error";
    case HRPC_WIRE_MISSING_MESSAGE: return "missing_message";
    }
    return "unknown";
}

/* ---- UTF-8 ---------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if the bytes there are not one. */
static size_t utf8_sequence_length(const uint8_t *p, size_t len) {
    uint8_t b0 = p[0];
    if (b0 < 0x80) return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;      /* no overlong forms */
        if (b0 == 0xED) hi = 0x9F;      /* no surrogates */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;      /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (len < need) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < need; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    }
    return need;
}

bool hrpc_utf8_valid(const uint8_t *bytes, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence_length(bytes + i, len - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

char *hrpc_utf8_sanitized_copy(const uint8_t *bytes, size_t len) {
    /* Worst case: every byte becomes the 3-byte U+FFFD. */
    char *copy = malloc(len * 3 + 1);
    if (copy == NULL) return NULL;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = utf8_sequence_length(bytes + i, len - i);
        if (n == 0) {
            copy[o++] = (char)0xEF;
            copy[o++] = (char)0xBF;
            copy[o++] = (char)0xBD;
            i += 1;
        } else {
            memcpy(copy + o, bytes + i, n);
            o += n;
            i += n;
        }
    }
    copy[o] = '\0';
    return copy;
}

bool hrpc_metadata_key_valid(const uint8_t *key, size_t len) {
    if (len == 0 || len > 255) return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

/* ---- decoding ------------------------------------------------------------------------------------- */

static hrpc_decode_status fail(hrpc_wire_error *error, hrpc_wire_error which, char *detail, size_t detail_len,
                               const char *format, ...) {
    *error = which;
    if (detail != NULL && detail_len > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(detail, detail_len, format, args);
        va_end(args);
    }
    return HRPC_DECODE_ERROR;
}

/* Validates a metadata block (PROTOCOL.md §5.6): every entry inside the block, known kind, valid key,
 * UTF-8 text. */
static bool metadata_block_valid(const uint8_t *block, size_t len, const char **why) {
    size_t offset = 0;
    while (offset < len) {
        if (len - offset < 4) {
            *why = "metadata entry header runs past the end of meta";
            return false;
        }
        uint8_t kind = block[offset];
        size_t key_len = block[offset + 1];
        size_t value_len = hrpc_get_u16(block + offset + 2);
        offset += 4;
        if (kind > 1) {
            *why = "metadata entry of unknown kind";
            return false;
        }
        if (len - offset < key_len + value_len) {
            *why = "metadata entry runs past the end of meta";
            return false;
        }
        if (!hrpc_metadata_key_valid(block + offset, key_len)) {
            *why = "metadata key empty or not lower-case a-z 0-9 - _ .";
            return false;
        }
        if (kind == 0 && !hrpc_utf8_valid(block + offset + key_len, value_len)) {
            *why = "text metadata value is not UTF-8";
            return false;
        }
        offset += key_len + value_len;
    }
    return true;
}

bool hrpc_metadata_next(const uint8_t *block, size_t block_len, size_t *offset, hrpc_metadata *entry,
                        size_t *key_len) {
    if (*offset + 4 > block_len) return false;
    const uint8_t *p = block + *offset;
    *key_len = p[1];
    entry->is_binary = p[0] == 1;
    entry->value_len = hrpc_get_u16(p + 2);
    entry->key = (const char *)(p + 4);
    entry->value = p + 4 + *key_len;
    *offset += 4 + *key_len + entry->value_len;
    return true;
}

bool hrpc_settings_next(const hrpc_frame *frame, size_t *index, uint16_t *id, uint32_t *value) {
    size_t at = *index * 6;
    if (at + 6 > frame->meta_len) return false;
    *id = hrpc_get_u16(frame->meta + at);
    *value = hrpc_get_u32(frame->meta + at + 2);
    *index += 1;
    return true;
}

static bool call_id_must_be_nonzero(uint8_t type) { return type <= HRPC_FRAME_CREDIT; }

static bool is_known_type(uint8_t type) {
    return (type >= HRPC_FRAME_REQUEST && type <= HRPC_FRAME_CREDIT) ||
           (type >= HRPC_FRAME_SETTINGS && type <= HRPC_FRAME_GOAWAY);
}

/* The message flags shared by REQUEST, RESPONSE and DATA: NO_MESSAGE requires an empty payload. */
static bool message_flags_valid(hrpc_frame *frame) {
    frame->has_message = (frame->flags & HRPC_FLAG_NO_MESSAGE) == 0;
    return frame->has_message || frame->payload_len == 0;
}

static hrpc_decode_status decode_body(hrpc_frame *f, hrpc_wire_error *error, char *detail, size_t detail_len) {
    const char *why = NULL;
    switch (f->type) {
    case HRPC_FRAME_REQUEST: {
        if (f->meta_len < 14) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "REQUEST meta of %u bytes is shorter than 14", f->meta_len);
        f->method_id = hrpc_get_u32(f->meta);
        f->timeout_us = hrpc_get_u64(f->meta + 4);
        f->name_len = hrpc_get_u16(f->meta + 12);
        if ((size_t)14 + f->name_len > f->meta_len) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "REQUEST name of %u bytes runs past the end of meta", f->name_len);
        f->name = f->meta + 14;
        f->metadata = f->name + f->name_len;
        f->metadata_len = f->meta_len - 14u - f->name_len;
        if (!metadata_block_valid(f->metadata, f->metadata_len, &why)) return fail(error, HRPC_WIRE_BAD_METADATA, detail, detail_len, "REQUEST %s", why);
        if (!message_flags_valid(f)) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "REQUEST with NO_MESSAGE has a payload");
        return HRPC_DECODE_FRAME;
    }
    case HRPC_FRAME_RESPONSE: {
        if (f->meta_len < 3) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "RESPONSE meta of %u bytes is shorter than 3", f->meta_len);
        f->code = f->meta[0];
        f->status_message_len = hrpc_get_u16(f->meta + 1);
        if ((size_t)3 + f->status_message_len > f->meta_len) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "RESPONSE status message of %u bytes runs past the end of meta", f->status_message_len);
        f->status_message = f->meta + 3;
        f->metadata = f->status_message + f->status_message_len;
        f->metadata_len = f->meta_len - 3u - f->status_message_len;
        if (!metadata_block_valid(f->metadata, f->metadata_len, &why)) return fail(error, HRPC_WIRE_BAD_METADATA, detail, detail_len, "RESPONSE %s", why);
        if (!message_flags_valid(f)) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "RESPONSE with NO_MESSAGE has a payload");
        if (f->code != 0 && f->has_message) return fail(error, HRPC_WIRE_MESSAGE_ON_ERROR, detail, detail_len, "RESPONSE with code %u carries a message", f->code);
        return HRPC_DECODE_FRAME;
    }
    case HRPC_FRAME_DATA:
        if (f->meta_len != 0) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "DATA meta must be empty, got %u bytes", f->meta_len);
        if (!message_flags_valid(f)) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "DATA with NO_MESSAGE has a payload");
        if (!f->has_message && (f->flags & HRPC_FLAG_END_STREAM) == 0) return fail(error, HRPC_WIRE_MISSING_MESSAGE, detail, detail_len, "DATA with NO_MESSAGE and without END_STREAM");
        return HRPC_DECODE_FRAME;
    case HRPC_FRAME_CANCEL:
    case HRPC_FRAME_DRAIN:
    case HRPC_FRAME_DRAIN_ACK:
        if (f->length != 0) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "frame type 0x%02x must be empty, got %u bytes", f->type, f->length);
        return HRPC_DECODE_FRAME;
    case HRPC_FRAME_CREDIT:
        if (f->meta_len != 4 || f->payload_len != 0) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "CREDIT meta must be 4 bytes and payload empty");
        f->increment = hrpc_get_u32(f->meta);
        if (f->increment == 0) return fail(error, HRPC_WIRE_ZERO_CREDIT, detail, detail_len, "CREDIT increment 0");
        return HRPC_DECODE_FRAME;
    case HRPC_FRAME_SETTINGS: {
        if (f->meta_len % 6 != 0) return fail(error, HRPC_WIRE_BAD_SETTINGS, detail, detail_len, "SETTINGS meta of %u bytes is not a multiple of 6", f->meta_len);
        if (f->payload_len != 0) return fail(error, HRPC_WIRE_BAD_SETTINGS, detail, detail_len, "SETTINGS payload must be empty");
        size_t index = 0;
        uint16_t id;
        uint32_t value;
        while (hrpc_settings_next(f, &index, &id, &value)) {
            if (id == HRPC_SETTING_MAX_FRAME_SIZE && (value < HRPC_MIN_MAX_FRAME_SIZE || value > HRPC_MAX_MAX_FRAME_SIZE)) {
                return fail(error, HRPC_WIRE_BAD_SETTINGS, detail, detail_len, "SETTINGS MAX_FRAME_SIZE %u outside 16384..2147483647", value);
            }
            if (id == HRPC_SETTING_INITIAL_CALL_CREDIT && value > HRPC_MAX_MAX_FRAME_SIZE) {
                return fail(error, HRPC_WIRE_BAD_SETTINGS, detail, detail_len, "SETTINGS INITIAL_CALL_CREDIT %u above 2147483647", value);
            }
        }
        return HRPC_DECODE_FRAME;
    }
    case HRPC_FRAME_PING:
    case HRPC_FRAME_PONG:
        if (f->meta_len != 0 || f->payload_len != HRPC_PING_SIZE) return fail(error, HRPC_WIRE_BAD_PING, detail, detail_len, "PING/PONG must carry exactly 8 bytes of payload, got length %u", f->length);
        return HRPC_DECODE_FRAME;
    case HRPC_FRAME_GOAWAY:
        if (f->meta_len < 4 || f->payload_len != 0) return fail(error, HRPC_WIRE_MALFORMED_META, detail, detail_len, "GOAWAY meta must be at least 4 bytes and payload empty");
        f->goaway_error = hrpc_get_u32(f->meta);
        f->goaway_message = f->meta + 4;
        f->goaway_message_len = f->meta_len - 4u;
        return HRPC_DECODE_FRAME;
    default:
        return fail(error, HRPC_WIRE_UNKNOWN_FRAME_TYPE, detail, detail_len, "unknown frame type 0x%02x", f->type);
    }
}

hrpc_decode_status hrpc_decode_frame(const uint8_t *buf, size_t len, uint32_t max_frame_size, hrpc_frame *frame,
                                     size_t *consumed, hrpc_wire_error *error, char *detail, size_t detail_len) {
    *consumed = 0;
    *error = HRPC_WIRE_OK;
    if (len < HRPC_HEADER_SIZE) return HRPC_DECODE_NEED_MORE;
    memset(frame, 0, sizeof *frame);
    frame->length = hrpc_get_u32(buf);
    frame->call_id = hrpc_get_u32(buf + 4);
    frame->type = buf[8];
    frame->flags = buf[9];
    frame->meta_len = hrpc_get_u16(buf + 10);

    /* Header checks in the order of PROTOCOL.md §3.3: type, call id kind, size, meta_len. An extension
     * frame is skipped from its header alone, at any length and without buffering its body (§3.1). */
    if (frame->type >= 0x80) {
        *consumed = HRPC_HEADER_SIZE;
        return HRPC_DECODE_IGNORED;
    }
    if (!is_known_type(frame->type)) {
        return fail(error, HRPC_WIRE_UNKNOWN_FRAME_TYPE, detail, detail_len, "unknown frame type 0x%02x", frame->type);
    }
    if (call_id_must_be_nonzero(frame->type) != (frame->call_id != 0)) {
        return fail(error, HRPC_WIRE_BAD_CALL_ID, detail, detail_len, "frame type 0x%02x with call id %u", frame->type, frame->call_id);
    }
    if (frame->length > max_frame_size) {
        if (frame->type == HRPC_FRAME_REQUEST || frame->type == HRPC_FRAME_RESPONSE || frame->type == HRPC_FRAME_DATA) {
            *consumed = HRPC_HEADER_SIZE;
            return HRPC_DECODE_OVERSIZED;
        }
        return fail(error, HRPC_WIRE_FRAME_TOO_LARGE, detail, detail_len, "frame of %u bytes exceeds max %u", frame->length, max_frame_size);
    }
    if (frame->meta_len > frame->length) {
        return fail(error, HRPC_WIRE_META_EXCEEDS_LENGTH, detail, detail_len, "meta_len %u exceeds length %u", frame->meta_len, frame->length);
    }
    if (len - HRPC_HEADER_SIZE < frame->length) return HRPC_DECODE_NEED_MORE;
    *consumed = HRPC_HEADER_SIZE + (size_t)frame->length;
    frame->meta = buf + HRPC_HEADER_SIZE;
    frame->payload = frame->meta + frame->meta_len;
    frame->payload_len = frame->length - frame->meta_len;
    hrpc_decode_status status = decode_body(frame, error, detail, detail_len);
    if (status == HRPC_DECODE_ERROR) *consumed = 0;
    return status;
}

static bool could_be_http(const uint8_t *buf, size_t len) {
    size_t n = len < 4 ? len : 4;
    for (size_t i = 0; i < n; i++) {
        bool upper = buf[i] >= 'A' && buf[i] <= 'Z';
        bool space_last = i == 3 && buf[i] == ' ';
        if (!upper && !space_last) return false;
    }
    return true;
}

hrpc_decode_status hrpc_check_preface(const uint8_t *buf, size_t len, uint8_t *major, uint8_t *minor,
                                      hrpc_wire_error *error) {
    *error = HRPC_WIRE_OK;
    if (len == 0) return HRPC_DECODE_NEED_MORE;
    if (buf[0] == 0x16) {
        *error = HRPC_WIRE_BAD_PREFACE_TLS;
        return HRPC_DECODE_ERROR;
    }
    size_t magic_bytes = len < 4 ? len : 4;
    if (memcmp(buf, preface_magic, magic_bytes) != 0) {
        /* Decided at once from the bytes at hand (PROTOCOL.md §2): HTTP needs 4 of them. */
        if (len < 4 || !could_be_http(buf, len)) {
            *error = HRPC_WIRE_BAD_PREFACE;
            return HRPC_DECODE_ERROR;
        }
        *error = HRPC_WIRE_BAD_PREFACE_HTTP;
        return HRPC_DECODE_ERROR;
    }
    if (len < 5) return HRPC_DECODE_NEED_MORE;
    if (buf[4] != 1) {
        *error = HRPC_WIRE_UNSUPPORTED_VERSION;
        return HRPC_DECODE_ERROR;
    }
    if (len < HRPC_PREFACE_SIZE) return HRPC_DECODE_NEED_MORE;
    *major = buf[4];
    *minor = buf[5];
    return HRPC_DECODE_FRAME;
}

/* ---- buffers and encoding ------------------------------------------------------------------------- */

void hrpc_buffer_free(hrpc_buffer *buffer) {
    free(buffer->data);
    memset(buffer, 0, sizeof *buffer);
}

uint8_t *hrpc_buffer_reserve(hrpc_buffer *buffer, size_t extra) {
    size_t live = buffer->end - buffer->start;
    if (buffer->capacity - buffer->end >= extra) return buffer->data + buffer->end;
    if (buffer->start > 0 && buffer->capacity - live >= extra) {
        memmove(buffer->data, buffer->data + buffer->start, live);
    } else {
        if (extra > SIZE_MAX / 2 - live) return NULL;
        size_t capacity = buffer->capacity < 4096 ? 4096 : buffer->capacity;
        while (capacity < live + extra) capacity *= 2;
        uint8_t *data = malloc(capacity);
        if (data == NULL) return NULL;
        if (live > 0) memcpy(data, buffer->data + buffer->start, live);
        free(buffer->data);
        buffer->data = data;
        buffer->capacity = capacity;
    }
    buffer->start = 0;
    buffer->end = live;
    return buffer->data + buffer->end;
}

void hrpc_buffer_consume(hrpc_buffer *buffer, size_t len) {
    buffer->start += len;
    if (buffer->start >= buffer->end) buffer->start = buffer->end = 0;
}

void hrpc_put_header(uint8_t *dst, uint32_t length, uint32_t call_id, uint8_t type, uint8_t flags, uint16_t meta_len) {
    hrpc_put_u32(dst, length);
    hrpc_put_u32(dst + 4, call_id);
    dst[8] = type;
    dst[9] = flags;
    hrpc_put_u16(dst + 10, meta_len);
}

hrpc_err hrpc_append_frame(hrpc_buffer *out, uint32_t call_id, uint8_t type, uint8_t flags, const uint8_t *meta,
                           uint16_t meta_len, const uint8_t *payload, uint32_t payload_len) {
    size_t total = HRPC_HEADER_SIZE + (size_t)meta_len + payload_len;
    uint8_t *dst = hrpc_buffer_reserve(out, total);
    if (dst == NULL) return HRPC_ERR_NO_MEMORY;
    hrpc_put_header(dst, (uint32_t)meta_len + payload_len, call_id, type, flags, meta_len);
    if (meta_len > 0) memcpy(dst + HRPC_HEADER_SIZE, meta, meta_len);
    if (payload_len > 0) memcpy(dst + HRPC_HEADER_SIZE + meta_len, payload, payload_len);
    out->end += total;
    return HRPC_OK;
}

hrpc_err hrpc_metadata_encoded_size(const hrpc_metadata *entries, size_t count, size_t *size, const char **why) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        const hrpc_metadata *e = &entries[i];
        if (e->key == NULL || (e->value == NULL && e->value_len > 0)) {
            *why = "metadata entry with a NULL key or value";
            return HRPC_ERR_INVALID_ARGUMENT;
        }
        size_t key_len = strlen(e->key);
        if (!hrpc_metadata_key_valid((const uint8_t *)e->key, key_len)) {
            *why = "metadata key must be 1..255 bytes of a-z 0-9 - _ .";
            return HRPC_ERR_INVALID_ARGUMENT;
        }
        if (strncmp(e->key, "hrpc-", 5) == 0) {
            *why = "metadata keys starting with hrpc- are reserved";
            return HRPC_ERR_INVALID_ARGUMENT;
        }
        if (e->value_len > 0xFFFF) {
            *why = "metadata value longer than 65535 bytes";
            return HRPC_ERR_INVALID_ARGUMENT;
        }
        if (!e->is_binary && !hrpc_utf8_valid(e->value, e->value_len)) {
            *why = "text metadata value is not UTF-8";
            return HRPC_ERR_INVALID_ARGUMENT;
        }
        total += 4 + key_len + e->value_len;
    }
    *size = total;
    return HRPC_OK;
}

uint8_t *hrpc_put_metadata(uint8_t *dst, const hrpc_metadata *entries, size_t count) {
    for (size_t i = 0; i < count; i++) {
        const hrpc_metadata *e = &entries[i];
        size_t key_len = strlen(e->key);
        dst[0] = e->is_binary ? 1 : 0;
        dst[1] = (uint8_t)key_len;
        hrpc_put_u16(dst + 2, (uint16_t)e->value_len);
        memcpy(dst + 4, e->key, key_len);
        if (e->value_len > 0) memcpy(dst + 4 + key_len, e->value, e->value_len);
        dst += 4 + key_len + e->value_len;
    }
    return dst;
}
