/* conn.c: the non-blocking connection core (see habitrpc.h). One state machine serves socketless use
 * (hrpc_conn_feed / hrpc_conn_output) and an owned non-blocking socket; the blocking API in blocking.c
 * only loops over it. */
#define _POSIX_C_SOURCE 200809L
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { READ_CHUNK = 65536, INITIAL_SLOTS = 64 };

typedef enum {
    STATE_HANDSHAKE, /* preface and SETTINGS sent; waiting for the server's SETTINGS */
    STATE_READY,
    STATE_CLOSING,   /* GOAWAY queued: closes once the output is written */
    STATE_CLOSED,
} conn_state;

/* An open call. `is_abandoned`: already reported to the caller (local deadline, oversized DATA); the
 * slot stays taken until its RESPONSE arrives, so the id is not reused early (PROTOCOL.md §4). */
typedef struct {
    uint32_t id;
    bool in_use;
    bool is_abandoned;
    uint64_t deadline_us; /* monotonic; 0 = none */
    void *user_data;
} call_slot;

typedef struct completed_call {
    struct completed_call *next;
    hrpc_result result;
} completed_call;

struct hrpc_conn {
    int fd;
    bool is_connecting;
    conn_state state;
    bool is_draining;
    uint32_t max_frame_size;
    uint32_t max_metadata_size;
    uint32_t peer_max_frame_size;
    uint32_t peer_max_concurrent_calls;
    uint32_t peer_max_metadata_size;
    hrpc_buffer input;
    hrpc_buffer output;
    uint64_t skip_remaining; /* bytes of an oversized or extension frame still to discard unbuffered */
    call_slot *slots;        /* a call with id N lives at slots[N & slot_mask] */
    size_t slot_mask;
    size_t slots_in_use;
    uint32_t next_call_id;
    completed_call *completed_head;
    completed_call *completed_tail;
    uint64_t pongs_received;
    uint64_t pings_answered;
    int64_t goaway_error;
    char error[256];
};

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void set_error(hrpc_conn *conn, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(conn->error, sizeof conn->error, format, args);
    va_end(args);
}

const char *hrpc_status_name(int code) {
    static const char *const names[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    };
    if (code < 0 || code > HRPC_STATUS_UNAUTHENTICATED) return "UNKNOWN";
    return names[code];
}

uint32_t hrpc_method_id(const char *full_name) {
    uint32_t hash = 0x811C9DC5u;
    for (const unsigned char *p = (const unsigned char *)full_name; *p != '\0'; p++) {
        hash ^= *p;
        hash *= 0x01000193u;
    }
    return hash;
}

void hrpc_result_clear(hrpc_result *result) {
    free(result->status_message);
    free(result->message);
    for (size_t i = 0; i < result->trailer_count; i++) free((void *)result->trailers[i].key);
    free(result->trailers);
    memset(result, 0, sizeof *result);
}

/* ---- call table and completed queue -------------------------------------------------------------- */

static call_slot *find_call(hrpc_conn *conn, uint32_t id) {
    call_slot *slot = &conn->slots[id & conn->slot_mask];
    return slot->in_use && slot->id == id ? slot : NULL;
}

static void release_call(hrpc_conn *conn, call_slot *slot) {
    slot->in_use = false;
    conn->slots_in_use--;
}

/* Doubling keeps ids apart: ids distinct modulo the old size are distinct modulo the new one. */
static hrpc_err grow_slots(hrpc_conn *conn) {
    size_t old_count = conn->slot_mask + 1;
    size_t count = old_count * 2;
    call_slot *slots = calloc(count, sizeof *slots);
    if (slots == NULL) return HRPC_ERR_NO_MEMORY;
    for (size_t i = 0; i < old_count; i++) {
        if (conn->slots[i].in_use) slots[conn->slots[i].id & (count - 1)] = conn->slots[i];
    }
    free(conn->slots);
    conn->slots = slots;
    conn->slot_mask = count - 1;
    return HRPC_OK;
}

static uint32_t take_call_id(hrpc_conn *conn) {
    uint32_t id = conn->next_call_id++;
    if (id == 0) id = conn->next_call_id++;
    return id;
}

/* Takes a free id and its slot; the table is at most half full, so the walk over sequential ids ends
 * within one turn of the table. */
static hrpc_err open_call(hrpc_conn *conn, void *user_data, uint64_t deadline_us, uint32_t *id_out) {
    if ((conn->slots_in_use + 1) * 2 > conn->slot_mask + 1) {
        hrpc_err err = grow_slots(conn);
        if (err != HRPC_OK) return err;
    }
    for (;;) {
        uint32_t id = take_call_id(conn);
        call_slot *slot = &conn->slots[id & conn->slot_mask];
        if (!slot->in_use) {
            *slot = (call_slot){.id = id, .in_use = true, .deadline_us = deadline_us, .user_data = user_data};
            conn->slots_in_use++;
            *id_out = id;
            return HRPC_OK;
        }
    }
}

static completed_call *push_completed(hrpc_conn *conn, uint32_t id, void *user_data) {
    completed_call *node = calloc(1, sizeof *node);
    if (node == NULL) return NULL;
    node->result.call_id = id;
    node->result.user_data = user_data;
    if (conn->completed_tail != NULL) {
        conn->completed_tail->next = node;
    } else {
        conn->completed_head = node;
    }
    conn->completed_tail = node;
    return node;
}

/* Reports a status the client produced itself (deadline, drain, close, local limit). */
static void complete_locally(hrpc_conn *conn, uint32_t id, void *user_data, int code, bool not_processed,
                             const char *format, ...) {
    completed_call *node = push_completed(conn, id, user_data);
    if (node == NULL) return;
    char text[256];
    va_list args;
    va_start(args, format);
    vsnprintf(text, sizeof text, format, args);
    va_end(args);
    node->result.code = code;
    node->result.wire_code = code;
    node->result.not_processed = not_processed;
    node->result.is_local = true;
    node->result.status_message = strdup(text);
}

static bool pop_completed(hrpc_conn *conn, completed_call *previous, completed_call *node, hrpc_result *out) {
    if (previous != NULL) {
        previous->next = node->next;
    } else {
        conn->completed_head = node->next;
    }
    if (conn->completed_tail == node) conn->completed_tail = previous;
    *out = node->result;
    if (out->status_message == NULL) out->status_message = strdup("");
    free(node);
    return true;
}

bool hrpc_conn_has_completed(const hrpc_conn *conn) { return conn->completed_head != NULL; }

bool hrpc_conn_next_completed(hrpc_conn *conn, hrpc_result *out) {
    if (conn->completed_head == NULL) return false;
    return pop_completed(conn, NULL, conn->completed_head, out);
}

bool hrpc_conn_take_completed(hrpc_conn *conn, uint32_t call_id, hrpc_result *out) {
    completed_call *previous = NULL;
    for (completed_call *node = conn->completed_head; node != NULL; previous = node, node = node->next) {
        if (node->result.call_id == call_id) return pop_completed(conn, previous, node, out);
    }
    return false;
}

/* Fails every call still open (each reported once; abandoned ones were reported already). */
static void fail_open_calls(hrpc_conn *conn, int code, const char *why) {
    for (size_t i = 0; i <= conn->slot_mask; i++) {
        call_slot *slot = &conn->slots[i];
        if (!slot->in_use) continue;
        if (!slot->is_abandoned) complete_locally(conn, slot->id, slot->user_data, code, false, "%s", why);
        release_call(conn, slot);
    }
}

/* ---- lifecycle ------------------------------------------------------------------------------------- */

static void close_socket(hrpc_conn *conn) {
    if (conn->fd >= 0) close(conn->fd);
    conn->fd = -1;
}

static void mark_closed(hrpc_conn *conn, const char *why) {
    if (conn->state == STATE_CLOSED) return;
    if (conn->error[0] == '\0') set_error(conn, "%s", why);
    fail_open_calls(conn, HRPC_STATUS_UNAVAILABLE, conn->error);
    conn->state = STATE_CLOSED;
    /* A socketless connection keeps its queued output (a GOAWAY) for the caller to read. */
    if (conn->fd >= 0) {
        hrpc_conn_on_writable(conn);
        close_socket(conn);
    }
}

static hrpc_err queue_settings(hrpc_conn *conn) {
    static const uint8_t preface[HRPC_PREFACE_SIZE] = {'H', 'R', 'P', 'C', 1, 0, 0, 0};
    uint8_t meta[4 * 6];
    const uint16_t ids[4] = {HRPC_SETTING_MAX_FRAME_SIZE, HRPC_SETTING_MAX_CONCURRENT_CALLS,
                             HRPC_SETTING_MAX_METADATA_SIZE, HRPC_SETTING_KEEPALIVE_TIME_MS};
    const uint32_t values[4] = {conn->max_frame_size, 0, conn->max_metadata_size, 0};
    for (size_t i = 0; i < 4; i++) {
        hrpc_put_u16(meta + i * 6, ids[i]);
        hrpc_put_u32(meta + i * 6 + 2, values[i]);
    }
    uint8_t *dst = hrpc_buffer_reserve(&conn->output, HRPC_PREFACE_SIZE);
    if (dst == NULL) return HRPC_ERR_NO_MEMORY;
    memcpy(dst, preface, HRPC_PREFACE_SIZE);
    conn->output.end += HRPC_PREFACE_SIZE;
    return hrpc_append_frame(&conn->output, 0, HRPC_FRAME_SETTINGS, 0, meta, sizeof meta, NULL, 0);
}

hrpc_err hrpc_conn_new(const hrpc_conn_options *options, hrpc_conn **out) {
    *out = NULL;
    hrpc_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL) return HRPC_ERR_NO_MEMORY;
    conn->fd = -1;
    conn->max_frame_size = HRPC_DEFAULT_MAX_FRAME_SIZE;
    conn->max_metadata_size = HRPC_DEFAULT_MAX_METADATA_SIZE;
    if (options != NULL && options->max_frame_size != 0) {
        uint32_t size = options->max_frame_size;
        conn->max_frame_size = size < HRPC_MIN_MAX_FRAME_SIZE ? HRPC_MIN_MAX_FRAME_SIZE
                               : size > HRPC_MAX_MAX_FRAME_SIZE ? HRPC_MAX_MAX_FRAME_SIZE : size;
    }
    if (options != NULL && options->max_metadata_size != 0) conn->max_metadata_size = options->max_metadata_size;
    conn->peer_max_frame_size = HRPC_DEFAULT_MAX_FRAME_SIZE;
    conn->peer_max_concurrent_calls = HRPC_DEFAULT_MAX_CONCURRENT_CALLS;
    conn->peer_max_metadata_size = HRPC_DEFAULT_MAX_METADATA_SIZE;
    conn->next_call_id = 1;
    conn->goaway_error = -1;
    conn->slots = calloc(INITIAL_SLOTS, sizeof *conn->slots);
    conn->slot_mask = INITIAL_SLOTS - 1;
    if (conn->slots == NULL || queue_settings(conn) != HRPC_OK) {
        hrpc_conn_free(conn);
        return HRPC_ERR_NO_MEMORY;
    }
    *out = conn;
    return HRPC_OK;
}

void hrpc_conn_free(hrpc_conn *conn) {
    if (conn == NULL) return;
    close_socket(conn);
    hrpc_buffer_free(&conn->input);
    hrpc_buffer_free(&conn->output);
    free(conn->slots);
    completed_call *node = conn->completed_head;
    while (node != NULL) {
        completed_call *next = node->next;
        hrpc_result_clear(&node->result);
        free(node);
        node = next;
    }
    free(conn);
}

hrpc_err hrpc_conn_open(const char *host, uint16_t port, const hrpc_conn_options *options, hrpc_conn **out) {
    *out = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *addresses = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &addresses) != 0 || addresses == NULL) return HRPC_ERR_IO;
    int fd = socket(addresses->ai_family, SOCK_STREAM, 0);
    if (fd < 0) {
        freeaddrinfo(addresses);
        return HRPC_ERR_IO;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int flags = fcntl(fd, F_GETFL, 0);
    bool is_connecting = false;
    int rc = fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (rc == 0) {
        rc = connect(fd, addresses->ai_addr, addresses->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            rc = 0;
            is_connecting = true;
        }
    }
    freeaddrinfo(addresses);
    if (rc != 0) {
        close(fd);
        return HRPC_ERR_IO;
    }
    hrpc_err err = hrpc_conn_new(options, out);
    if (err != HRPC_OK) {
        close(fd);
        return err;
    }
    (*out)->fd = fd;
    (*out)->is_connecting = is_connecting;
    return HRPC_OK;
}

void hrpc_conn_shutdown(hrpc_conn *conn) {
    if (conn->state == STATE_CLOSED || conn->state == STATE_CLOSING) return;
    fail_open_calls(conn, HRPC_STATUS_CANCELLED, "connection closed by the client");
    static const char reason[] = "client closing";
    uint8_t meta[4 + sizeof reason - 1];
    hrpc_put_u32(meta, HRPC_GOAWAY_NO_ERROR);
    memcpy(meta + 4, reason, sizeof reason - 1);
    hrpc_append_frame(&conn->output, 0, HRPC_FRAME_GOAWAY, 0, meta, sizeof meta, NULL, 0);
    conn->goaway_error = HRPC_GOAWAY_NO_ERROR;
    set_error(conn, "connection closed by the client");
    conn->state = STATE_CLOSING;
}

/* Connection-level protocol error (PROTOCOL.md §11): GOAWAY with the error, then close. */
static hrpc_err protocol_error(hrpc_conn *conn, uint32_t goaway, const char *why) {
    size_t why_len = strlen(why);
    uint8_t meta[4 + 256];
    if (why_len > 256) why_len = 256;
    hrpc_put_u32(meta, goaway);
    memcpy(meta + 4, why, why_len);
    hrpc_append_frame(&conn->output, 0, HRPC_FRAME_GOAWAY, 0, meta, (uint16_t)(4 + why_len), NULL, 0);
    conn->goaway_error = goaway;
    set_error(conn, "protocol error from the server: %s", why);
    mark_closed(conn, conn->error);
    return HRPC_ERR_PROTOCOL;
}

/* ---- incoming frames ------------------------------------------------------------------------------- */

static hrpc_err queue_cancel(hrpc_conn *conn, uint32_t id) {
    return hrpc_append_frame(&conn->output, id, HRPC_FRAME_CANCEL, 0, NULL, 0, NULL, 0);
}

static void *copy_bytes(const uint8_t *bytes, size_t len) {
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy != NULL && len > 0) memcpy(copy, bytes, len);
    return copy;
}

/* Copies a RESPONSE's trailing metadata into the result, dropping reserved hrpc- keys. */
static bool copy_trailers(const hrpc_frame *frame, hrpc_result *result) {
    size_t count = 0, offset = 0, key_len;
    hrpc_metadata entry;
    while (hrpc_metadata_next(frame->metadata, frame->metadata_len, &offset, &entry, &key_len)) count++;
    if (count == 0) return true;
    result->trailers = calloc(count, sizeof *result->trailers);
    if (result->trailers == NULL) return false;
    offset = 0;
    while (hrpc_metadata_next(frame->metadata, frame->metadata_len, &offset, &entry, &key_len)) {
        if (key_len >= 5 && memcmp(entry.key, "hrpc-", 5) == 0) continue;
        char *storage = malloc(key_len + 1 + entry.value_len + 1);
        if (storage == NULL) return false;
        memcpy(storage, entry.key, key_len);
        storage[key_len] = '\0';
        uint8_t *value = (uint8_t *)storage + key_len + 1;
        if (entry.value_len > 0) memcpy(value, entry.value, entry.value_len);
        value[entry.value_len] = '\0';
        hrpc_metadata *trailer = &result->trailers[result->trailer_count++];
        *trailer = (hrpc_metadata){.key = storage, .value = value, .value_len = entry.value_len, .is_binary = entry.is_binary};
    }
    return true;
}

static void handle_response(hrpc_conn *conn, const hrpc_frame *frame) {
    call_slot *slot = find_call(conn, frame->call_id);
    if (slot == NULL) return; /* not ours (any more): ignore, as for other frames of unknown calls */
    uint32_t id = slot->id;
    void *user_data = slot->user_data;
    bool was_abandoned = slot->is_abandoned;
    release_call(conn, slot);
    if (was_abandoned) return;
    if (frame->metadata_len > conn->max_metadata_size) {
        complete_locally(conn, id, user_data, HRPC_STATUS_RESOURCE_EXHAUSTED, false,
                         "trailing metadata of %zu bytes exceeds max %u", frame->metadata_len, conn->max_metadata_size);
        return;
    }
    completed_call *node = push_completed(conn, id, user_data);
    if (node == NULL) return;
    hrpc_result *result = &node->result;
    result->wire_code = frame->code;
    result->code = frame->code > HRPC_STATUS_UNAUTHENTICATED ? HRPC_STATUS_UNKNOWN : frame->code;
    result->not_processed = (frame->flags & HRPC_FLAG_NOT_PROCESSED) != 0;
    result->status_message = hrpc_utf8_sanitized_copy(frame->status_message, frame->status_message_len);
    if (frame->has_message) {
        result->message = copy_bytes(frame->payload, frame->payload_len);
        result->message_len = frame->payload_len;
        result->has_message = result->message != NULL;
    }
    copy_trailers(frame, result);
}

static void handle_settings(hrpc_conn *conn, const hrpc_frame *frame) {
    bool is_first = conn->state == STATE_HANDSHAKE;
    size_t index = 0;
    uint16_t id;
    uint32_t value;
    while (hrpc_settings_next(frame, &index, &id, &value)) {
        if (id == HRPC_SETTING_MAX_CONCURRENT_CALLS) {
            conn->peer_max_concurrent_calls = value;
        } else if (is_first && id == HRPC_SETTING_MAX_FRAME_SIZE) {
            conn->peer_max_frame_size = value;
        } else if (is_first && id == HRPC_SETTING_MAX_METADATA_SIZE) {
            conn->peer_max_metadata_size = value;
        }
    }
    if (is_first) conn->state = STATE_READY;
}

static const char *goaway_name(uint32_t error) {
    static const char *const names[] = {
        "NO_ERROR", "PROTOCOL_ERROR", "UNSUPPORTED_VERSION", "FRAME_TOO_LARGE", "FLOW_CONTROL_ERROR",
        "DUPLICATE_CALL_ID", "TOO_MANY_PINGS", "TIMEOUT", "INTERNAL_ERROR", "RESOURCE_LIMIT",
    };
    return error <= HRPC_GOAWAY_RESOURCE_LIMIT ? names[error] : "UNKNOWN_ERROR";
}

static void handle_goaway(hrpc_conn *conn, const hrpc_frame *frame) {
    char *message = hrpc_utf8_sanitized_copy(frame->goaway_message, frame->goaway_message_len);
    conn->goaway_error = frame->goaway_error;
    set_error(conn, "server sent GOAWAY %s: %s", goaway_name(frame->goaway_error), message != NULL ? message : "");
    free(message);
    mark_closed(conn, conn->error);
}

/* Handles one valid frame from the server; returns an error only if the connection failed. */
static hrpc_err handle_frame(hrpc_conn *conn, const hrpc_frame *frame) {
    if (conn->state == STATE_HANDSHAKE && frame->type != HRPC_FRAME_SETTINGS && frame->type != HRPC_FRAME_GOAWAY) {
        return protocol_error(conn, HRPC_GOAWAY_PROTOCOL_ERROR, "first frame from the server is not SETTINGS");
    }
    switch (frame->type) {
    case HRPC_FRAME_RESPONSE:
        handle_response(conn, frame);
        return HRPC_OK;
    case HRPC_FRAME_SETTINGS:
        handle_settings(conn, frame);
        return HRPC_OK;
    case HRPC_FRAME_PING:
        conn->pings_answered++;
        return hrpc_append_frame(&conn->output, 0, HRPC_FRAME_PONG, 0, NULL, 0, frame->payload, HRPC_PING_SIZE);
    case HRPC_FRAME_PONG:
        conn->pongs_received++;
        return HRPC_OK;
    case HRPC_FRAME_DRAIN:
        if (conn->is_draining) return HRPC_OK;
        conn->is_draining = true;
        return hrpc_append_frame(&conn->output, 0, HRPC_FRAME_DRAIN_ACK, 0, NULL, 0, NULL, 0);
    case HRPC_FRAME_GOAWAY:
        handle_goaway(conn, frame);
        return HRPC_ERR_CLOSED;
    case HRPC_FRAME_DATA:
    case HRPC_FRAME_CREDIT:
        /* This client makes unary calls only: stream frames carry nothing it waits for. */
        return HRPC_OK;
    default: {
        char why[64];
        snprintf(why, sizeof why, "frame type 0x%02x sent by the server", frame->type);
        return protocol_error(conn, HRPC_GOAWAY_PROTOCOL_ERROR, why);
    }
    }
}

/* An oversized RESPONSE or DATA (PROTOCOL.md §11): its bytes are skipped; the call fails. */
static hrpc_err handle_oversized(hrpc_conn *conn, const hrpc_frame *frame) {
    if (frame->type == HRPC_FRAME_REQUEST || conn->state == STATE_HANDSHAKE) {
        return protocol_error(conn, HRPC_GOAWAY_PROTOCOL_ERROR, "oversized REQUEST sent by the server");
    }
    conn->skip_remaining = frame->length;
    call_slot *slot = find_call(conn, frame->call_id);
    if (slot == NULL) return HRPC_OK;
    if (!slot->is_abandoned) {
        complete_locally(conn, slot->id, slot->user_data, HRPC_STATUS_RESOURCE_EXHAUSTED, false,
                         "frame of %u bytes exceeds max %u", frame->length, conn->max_frame_size);
    }
    if (frame->type == HRPC_FRAME_RESPONSE) {
        release_call(conn, slot);
        return HRPC_OK;
    }
    if (!slot->is_abandoned) {
        slot->is_abandoned = true;
        return queue_cancel(conn, slot->id);
    }
    return HRPC_OK;
}

static uint32_t goaway_for(hrpc_wire_error error) {
    return error == HRPC_WIRE_FRAME_TOO_LARGE ? HRPC_GOAWAY_FRAME_TOO_LARGE : HRPC_GOAWAY_PROTOCOL_ERROR;
}

/* Decodes and handles every whole frame in the input buffer. */
static hrpc_err process_input(hrpc_conn *conn) {
    hrpc_buffer *in = &conn->input;
    while (conn->state == STATE_HANDSHAKE || conn->state == STATE_READY) {
        size_t live = in->end - in->start;
        if (conn->skip_remaining > 0) {
            size_t n = live < conn->skip_remaining ? live : (size_t)conn->skip_remaining;
            hrpc_buffer_consume(in, n);
            conn->skip_remaining -= n;
            if (conn->skip_remaining > 0) return HRPC_OK;
            continue;
        }
        hrpc_frame frame;
        size_t consumed;
        hrpc_wire_error wire_error;
        char detail[160];
        hrpc_decode_status status = hrpc_decode_frame(in->data + in->start, live, conn->max_frame_size, &frame,
                                                      &consumed, &wire_error, detail, sizeof detail);
        hrpc_err err = HRPC_OK;
        switch (status) {
        case HRPC_DECODE_NEED_MORE:
            return HRPC_OK;
        case HRPC_DECODE_ERROR:
            return protocol_error(conn, goaway_for(wire_error), detail);
        case HRPC_DECODE_IGNORED:
            if (conn->state == STATE_HANDSHAKE) {
                return protocol_error(conn, HRPC_GOAWAY_PROTOCOL_ERROR, "first frame from the server is not SETTINGS");
            }
            conn->skip_remaining = frame.length;
            break;
        case HRPC_DECODE_OVERSIZED:
            err = handle_oversized(conn, &frame);
            break;
        case HRPC_DECODE_FRAME:
            err = handle_frame(conn, &frame);
            break;
        }
        if (conn->state == STATE_CLOSED) return err == HRPC_OK ? HRPC_ERR_CLOSED : err;
        hrpc_buffer_consume(in, consumed);
        if (err != HRPC_OK) return err;
    }
    return conn->state == STATE_CLOSED ? HRPC_ERR_CLOSED : HRPC_OK;
}

static void handle_end_of_stream(hrpc_conn *conn) {
    if (conn->state == STATE_CLOSING) {
        conn->state = STATE_CLOSED;
        close_socket(conn);
        return;
    }
    mark_closed(conn, "connection closed by the server");
}

hrpc_err hrpc_conn_feed(hrpc_conn *conn, const uint8_t *bytes, size_t len) {
    if (conn->state == STATE_CLOSED) return HRPC_ERR_CLOSED;
    if (conn->state == STATE_CLOSING) return HRPC_OK;
    if (len == 0) {
        handle_end_of_stream(conn);
        return HRPC_ERR_CLOSED;
    }
    /* Copy in bounded chunks so a huge feed never makes a huge buffer: each chunk is decoded first. */
    while (len > 0) {
        size_t n = len < READ_CHUNK ? len : READ_CHUNK;
        uint8_t *dst = hrpc_buffer_reserve(&conn->input, n);
        if (dst == NULL) return HRPC_ERR_NO_MEMORY;
        memcpy(dst, bytes, n);
        conn->input.end += n;
        bytes += n;
        len -= n;
        hrpc_err err = process_input(conn);
        if (err != HRPC_OK) return err;
    }
    return HRPC_OK;
}

hrpc_err hrpc_conn_on_readable(hrpc_conn *conn) {
    if (conn->fd < 0) return HRPC_ERR_CLOSED;
    for (;;) {
        uint8_t *dst = hrpc_buffer_reserve(&conn->input, READ_CHUNK);
        if (dst == NULL) return HRPC_ERR_NO_MEMORY;
        ssize_t n = recv(conn->fd, dst, READ_CHUNK, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return HRPC_OK;
            set_error(conn, "receive failed: %s", strerror(errno));
            mark_closed(conn, conn->error);
            return HRPC_ERR_IO;
        }
        if (n == 0) {
            handle_end_of_stream(conn);
            return HRPC_ERR_CLOSED;
        }
        if (conn->state == STATE_CLOSING) continue; /* discard until the server closes */
        conn->input.end += (size_t)n;
        hrpc_err err = process_input(conn);
        if (err != HRPC_OK) return err;
    }
}

hrpc_err hrpc_conn_on_writable(hrpc_conn *conn) {
    if (conn->fd < 0) return conn->state == STATE_CLOSED ? HRPC_ERR_CLOSED : HRPC_OK;
    if (conn->is_connecting) {
        int so_error = 0;
        socklen_t size = sizeof so_error;
        getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &so_error, &size);
        if (so_error == EINPROGRESS) return HRPC_OK;
        if (so_error != 0) {
            set_error(conn, "connect failed: %s", strerror(so_error));
            mark_closed(conn, conn->error);
            return HRPC_ERR_IO;
        }
        conn->is_connecting = false;
    }
    while (conn->output.end > conn->output.start) {
        ssize_t n = send(conn->fd, conn->output.data + conn->output.start, conn->output.end - conn->output.start,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return HRPC_OK;
            if (conn->state != STATE_CLOSED) {
                set_error(conn, "send failed: %s", strerror(errno));
                mark_closed(conn, conn->error);
            }
            return HRPC_ERR_IO;
        }
        hrpc_buffer_consume(&conn->output, (size_t)n);
    }
    if (conn->state == STATE_CLOSING) {
        conn->state = STATE_CLOSED;
        close_socket(conn);
    }
    return HRPC_OK;
}

const uint8_t *hrpc_conn_output(const hrpc_conn *conn, size_t *len) {
    *len = conn->output.end - conn->output.start;
    return conn->output.data + conn->output.start;
}

void hrpc_conn_consume_output(hrpc_conn *conn, size_t len) {
    size_t live = conn->output.end - conn->output.start;
    hrpc_buffer_consume(&conn->output, len < live ? len : live);
    if (conn->state == STATE_CLOSING && conn->output.end == conn->output.start) conn->state = STATE_CLOSED;
}

/* ---- outgoing calls -------------------------------------------------------------------------------- */

/* One path for raw bytes and protobuf-c messages: `message` is packed in place when not NULL. */
static hrpc_err start_call(hrpc_conn *conn, const char *method, const uint8_t *request, const ProtobufCMessage *message,
                           size_t request_len, const hrpc_call_options *options, uint32_t *call_id) {
    static const hrpc_call_options no_options = {0};
    if (options == NULL) options = &no_options;
    if (method == NULL || call_id == NULL || (request == NULL && message == NULL && request_len > 0)) {
        return HRPC_ERR_INVALID_ARGUMENT;
    }
    if (conn->state == STATE_CLOSED || conn->state == STATE_CLOSING) return HRPC_ERR_CLOSED;
    size_t metadata_len;
    const char *why = NULL;
    if (hrpc_metadata_encoded_size(options->metadata, options->metadata_count, &metadata_len, &why) != HRPC_OK) {
        set_error(conn, "%s", why);
        return HRPC_ERR_INVALID_ARGUMENT;
    }
    size_t name_len = options->send_method_name ? strlen(method) : 0;
    size_t meta_len = 14 + name_len + metadata_len;
    if (meta_len > 0xFFFF) {
        set_error(conn, "REQUEST meta of %zu bytes does not fit its 16-bit length", meta_len);
        return HRPC_ERR_INVALID_ARGUMENT;
    }
    size_t length = meta_len + request_len;
    if (conn->is_draining) {
        *call_id = take_call_id(conn);
        complete_locally(conn, *call_id, options->user_data, HRPC_STATUS_UNAVAILABLE, true,
                         "connection is draining: open a new connection");
        return HRPC_OK;
    }
    if (metadata_len > conn->peer_max_metadata_size || length > conn->peer_max_frame_size) {
        *call_id = take_call_id(conn);
        complete_locally(conn, *call_id, options->user_data, HRPC_STATUS_RESOURCE_EXHAUSTED, true,
                         metadata_len > conn->peer_max_metadata_size ? "metadata of %zu bytes exceeds the server's max %u"
                                                                      : "frame of %zu bytes exceeds the server's max %u",
                         metadata_len > conn->peer_max_metadata_size ? metadata_len : length,
                         metadata_len > conn->peer_max_metadata_size ? conn->peer_max_metadata_size
                                                                      : conn->peer_max_frame_size);
        return HRPC_OK;
    }
    uint8_t *dst = hrpc_buffer_reserve(&conn->output, HRPC_HEADER_SIZE + length);
    if (dst == NULL) return HRPC_ERR_NO_MEMORY;
    uint64_t timeout_us = options->timeout_us > 0 ? options->timeout_us : (uint64_t)options->timeout_ms * 1000u;
    uint32_t id;
    hrpc_err err = open_call(conn, options->user_data, timeout_us > 0 ? now_us() + timeout_us : 0, &id);
    if (err != HRPC_OK) return err;
    hrpc_put_header(dst, (uint32_t)length, id, HRPC_FRAME_REQUEST, HRPC_FLAG_END_STREAM, (uint16_t)meta_len);
    uint8_t *p = dst + HRPC_HEADER_SIZE;
    hrpc_put_u32(p, hrpc_method_id(method));
    hrpc_put_u64(p + 4, timeout_us);
    hrpc_put_u16(p + 12, (uint16_t)name_len);
    memcpy(p + 14, method, name_len);
    p = hrpc_put_metadata(p + 14 + name_len, options->metadata, options->metadata_count);
    if (message != NULL) {
        protobuf_c_message_pack(message, p);
    } else if (request_len > 0) {
        memcpy(p, request, request_len);
    }
    conn->output.end += HRPC_HEADER_SIZE + length;
    *call_id = id;
    return HRPC_OK;
}

hrpc_err hrpc_conn_start_call(hrpc_conn *conn, const char *method, const uint8_t *request, size_t request_len,
                              const hrpc_call_options *options, uint32_t *call_id) {
    return start_call(conn, method, request, NULL, request_len, options, call_id);
}

hrpc_err hrpc_conn_start_message_call(hrpc_conn *conn, const char *method, const ProtobufCMessage *request,
                                      const hrpc_call_options *options, uint32_t *call_id) {
    if (request == NULL) return HRPC_ERR_INVALID_ARGUMENT;
    return start_call(conn, method, NULL, request, protobuf_c_message_get_packed_size(request), options, call_id);
}

/* ---- timers, pings, accessors --------------------------------------------------------------------- */

void hrpc_conn_process_timers(hrpc_conn *conn) {
    uint64_t now = now_us();
    for (size_t i = 0; i <= conn->slot_mask; i++) {
        call_slot *slot = &conn->slots[i];
        if (!slot->in_use || slot->is_abandoned || slot->deadline_us == 0 || slot->deadline_us > now) continue;
        slot->is_abandoned = true;
        complete_locally(conn, slot->id, slot->user_data, HRPC_STATUS_DEADLINE_EXCEEDED, false,
                         "deadline exceeded (client)");
        if (conn->state != STATE_CLOSED && conn->state != STATE_CLOSING) queue_cancel(conn, slot->id);
    }
}

int hrpc_conn_next_timer_ms(const hrpc_conn *conn) {
    uint64_t earliest = 0;
    for (size_t i = 0; i <= conn->slot_mask; i++) {
        const call_slot *slot = &conn->slots[i];
        if (!slot->in_use || slot->is_abandoned || slot->deadline_us == 0) continue;
        if (earliest == 0 || slot->deadline_us < earliest) earliest = slot->deadline_us;
    }
    if (earliest == 0) return -1;
    uint64_t now = now_us();
    if (earliest <= now) return 0;
    uint64_t ms = (earliest - now + 999) / 1000;
    return ms > 0x7FFFFFFF ? 0x7FFFFFFF : (int)ms;
}

hrpc_err hrpc_conn_send_ping(hrpc_conn *conn, const uint8_t data[8]) {
    if (conn->state == STATE_CLOSED || conn->state == STATE_CLOSING) return HRPC_ERR_CLOSED;
    return hrpc_append_frame(&conn->output, 0, HRPC_FRAME_PING, 0, NULL, 0, data, HRPC_PING_SIZE);
}

int hrpc_conn_fd(const hrpc_conn *conn) { return conn->fd; }
bool hrpc_conn_wants_write(const hrpc_conn *conn) {
    return conn->fd >= 0 && (conn->is_connecting || conn->output.end > conn->output.start || conn->state == STATE_CLOSING);
}
uint64_t hrpc_conn_pongs_received(const hrpc_conn *conn) { return conn->pongs_received; }
uint64_t hrpc_conn_pings_answered(const hrpc_conn *conn) { return conn->pings_answered; }
bool hrpc_conn_is_ready(const hrpc_conn *conn) { return conn->state == STATE_READY; }
bool hrpc_conn_is_draining(const hrpc_conn *conn) { return conn->is_draining; }
bool hrpc_conn_is_closed(const hrpc_conn *conn) { return conn->state == STATE_CLOSED; }
size_t hrpc_conn_open_calls(const hrpc_conn *conn) {
    size_t count = 0;
    for (size_t i = 0; i <= conn->slot_mask; i++) {
        if (conn->slots[i].in_use && !conn->slots[i].is_abandoned) count++;
    }
    return count;
}
uint32_t hrpc_conn_peer_max_frame_size(const hrpc_conn *conn) { return conn->peer_max_frame_size; }
uint32_t hrpc_conn_peer_max_concurrent_calls(const hrpc_conn *conn) { return conn->peer_max_concurrent_calls; }
int64_t hrpc_conn_goaway_error(const hrpc_conn *conn) { return conn->goaway_error; }
const char *hrpc_conn_error(const hrpc_conn *conn) { return conn->error; }
