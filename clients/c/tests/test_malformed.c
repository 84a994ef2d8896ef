/* The connection core against a hostile or broken server, without sockets (hrpc_conn_feed): frames cut at
 * every byte, random garbage, mutated frames, oversized lengths, and the protocol's connection rules
 * (first frame SETTINGS, PING, DRAIN, GOAWAY, deadlines, late responses). Built with ASan/UBSan/LSan by
 * `make asan`. Prints "N passed, M failed". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "wire.h"

/* Frames a test server would send are built with the library's own encoder. */
static void put_settings(hrpc_buffer *b) {
    uint8_t meta[6];
    hrpc_put_u16(meta, HRPC_SETTING_MAX_CONCURRENT_CALLS);
    hrpc_put_u32(meta + 2, 100);
    hrpc_append_frame(b, 0, HRPC_FRAME_SETTINGS, 0, meta, sizeof meta, NULL, 0);
}

static void put_response(hrpc_buffer *b, uint32_t id, uint8_t code, const char *status, const uint8_t *trailers,
                         size_t trailers_len, const uint8_t *message, uint32_t message_len, uint8_t flags) {
    uint8_t meta[512];
    size_t status_len = strlen(status);
    meta[0] = code;
    hrpc_put_u16(meta + 1, (uint16_t)status_len);
    memcpy(meta + 3, status, status_len);
    if (trailers_len > 0) memcpy(meta + 3 + status_len, trailers, trailers_len);
    if (message == NULL) flags |= HRPC_FLAG_NO_MESSAGE;
    hrpc_append_frame(b, id, HRPC_FRAME_RESPONSE, flags, meta, (uint16_t)(3 + status_len + trailers_len), message, message_len);
}

static hrpc_conn *new_conn(void) {
    hrpc_conn *conn = NULL;
    hrpc_conn_options options = {.max_frame_size = 16384};
    if (hrpc_conn_new(&options, &conn) != HRPC_OK) abort();
    size_t len;
    hrpc_conn_output(conn, &len);
    hrpc_conn_consume_output(conn, len);
    return conn;
}

static uint32_t start(hrpc_conn *conn, uint32_t timeout_ms) {
    static const uint8_t payload[] = {0x0a, 0x02, 0x68, 0x69};
    hrpc_call_options options = {.timeout_ms = timeout_ms};
    uint32_t id = 0;
    if (hrpc_conn_start_call(conn, "/test.Echo/Unary", payload, sizeof payload, &options, &id) != HRPC_OK) abort();
    return id;
}

static void drain_results(hrpc_conn *conn) {
    hrpc_result result;
    while (hrpc_conn_next_completed(conn, &result)) hrpc_result_clear(&result);
}

/* The last frame in the connection's output, decoded (views into the output buffer). */
static bool last_output_frame(hrpc_conn *conn, hrpc_frame *frame) {
    size_t len, offset = 0, consumed;
    const uint8_t *out = hrpc_conn_output(conn, &len);
    hrpc_wire_error error;
    bool found = false;
    while (offset < len && hrpc_decode_frame(out + offset, len - offset, HRPC_MAX_MAX_FRAME_SIZE, frame, &consumed, &error, NULL, 0) == HRPC_DECODE_FRAME) {
        offset += consumed;
        found = true;
    }
    return found;
}

static void test_truncated_at_every_byte(void) {
    hrpc_buffer stream = {0};
    put_settings(&stream);
    const uint8_t message[] = {0x0a, 0x02, 0x68, 0x69};
    const uint8_t trailers[] = {0, 3, 0, 1, 'a', 'b', 'c', 'x'};
    put_response(&stream, 1, 0, "", trailers, sizeof trailers, message, sizeof message, 0);
    uint8_t ping[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    hrpc_append_frame(&stream, 0, HRPC_FRAME_PING, 0, NULL, 0, ping, 8);
    put_response(&stream, 2, 5, "not found", NULL, 0, NULL, 0, 0);
    size_t total = stream.end;
    int clean = 0;
    for (size_t cut = 0; cut <= total; cut++) {
        hrpc_conn *conn = new_conn();
        uint32_t a = start(conn, 0), b = start(conn, 0);
        hrpc_conn_feed(conn, stream.data, cut);
        hrpc_conn_feed(conn, NULL, 0); /* EOF: every call still open fails with UNAVAILABLE */
        hrpc_result result;
        int seen = 0;
        while (hrpc_conn_next_completed(conn, &result)) {
            bool ok = (result.call_id == a && (result.code == HRPC_STATUS_OK || result.code == HRPC_STATUS_UNAVAILABLE)) ||
                      (result.call_id == b && (result.code == HRPC_STATUS_NOT_FOUND || result.code == HRPC_STATUS_UNAVAILABLE));
            if (ok) seen++;
            hrpc_result_clear(&result);
        }
        if (seen == 2 && hrpc_conn_is_closed(conn)) clean++;
        hrpc_conn_free(conn);
    }
    CHECK(clean == (int)total + 1, "every cut: both calls complete once (result or UNAVAILABLE) and the connection closes");
    /* Whole stream, split at every point into two feeds: same results as one feed. */
    int whole = 0;
    for (size_t cut = 0; cut <= total; cut++) {
        hrpc_conn *conn = new_conn();
        start(conn, 0);
        start(conn, 0);
        if (cut > 0) hrpc_conn_feed(conn, stream.data, cut); /* a zero-length feed means end of stream */
        if (cut < total) hrpc_conn_feed(conn, stream.data + cut, total - cut);
        hrpc_result r1, r2;
        bool got = hrpc_conn_take_completed(conn, 1, &r1) && hrpc_conn_take_completed(conn, 2, &r2);
        if (got && r1.code == 0 && r1.message_len == 4 && r1.trailer_count == 1 && r2.code == HRPC_STATUS_NOT_FOUND &&
            strcmp(r2.status_message, "not found") == 0 && hrpc_conn_pings_answered(conn) == 1) {
            whole++;
        }
        if (got) {
            hrpc_result_clear(&r1);
            hrpc_result_clear(&r2);
        }
        hrpc_conn_free(conn);
    }
    CHECK(whole == (int)total + 1, "every two-way split decodes the same results");
    hrpc_buffer_free(&stream);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint32_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void test_random_garbage(void) {
    uint8_t buf[2048];
    int survived = 0;
    const int rounds = 4000;
    for (int round = 0; round < rounds; round++) {
        size_t len = next_random() % sizeof buf;
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)next_random();
        hrpc_conn *conn = new_conn();
        start(conn, 0);
        if (round % 2 == 0) { /* half after a valid SETTINGS, so garbage reaches the frame handlers */
            hrpc_buffer settings = {0};
            put_settings(&settings);
            hrpc_conn_feed(conn, settings.data, settings.end);
            hrpc_buffer_free(&settings);
        }
        hrpc_conn_feed(conn, buf, len);
        hrpc_conn_feed(conn, NULL, 0);
        drain_results(conn);
        if (hrpc_conn_is_closed(conn)) survived++;
        hrpc_conn_free(conn);
    }
    CHECK(survived == rounds, "random garbage: no crash, connection closed, results released");
}

static void test_mutated_frames(void) {
    hrpc_buffer stream = {0};
    put_settings(&stream);
    const uint8_t trailers[] = {0, 3, 0, 1, 'a', 'b', 'c', 'x', 1, 1, 0, 2, 'k', 0xff, 0x00};
    const uint8_t message[] = {0x0a, 0x02, 0x68, 0x69};
    put_response(&stream, 1, 0, "", trailers, sizeof trailers, message, sizeof message, 0);
    put_response(&stream, 2, 14, "draining", trailers, sizeof trailers, NULL, 0, HRPC_FLAG_NOT_PROCESSED);
    hrpc_append_frame(&stream, 0, HRPC_FRAME_DRAIN, 0, NULL, 0, NULL, 0);
    int survived = 0;
    const int rounds = 6000;
    uint8_t *copy = malloc(stream.end);
    for (int round = 0; round < rounds; round++) {
        memcpy(copy, stream.data, stream.end);
        int flips = 1 + (int)(next_random() % 4);
        for (int i = 0; i < flips; i++) copy[next_random() % stream.end] ^= (uint8_t)(1u << (next_random() % 8));
        hrpc_conn *conn = new_conn();
        start(conn, 0);
        start(conn, 0);
        hrpc_conn_feed(conn, copy, stream.end);
        hrpc_conn_feed(conn, NULL, 0);
        drain_results(conn);
        if (hrpc_conn_is_closed(conn)) survived++;
        hrpc_conn_free(conn);
    }
    free(copy);
    hrpc_buffer_free(&stream);
    CHECK(survived == rounds, "bit-flipped frames: no crash, connection closed, results released");
}

static void test_oversized(void) {
    /* A RESPONSE of 4 GiB - 1 for call 1 is skipped unbuffered; call 1 fails, call 2 still works. */
    hrpc_conn *conn = new_conn();
    uint32_t a = start(conn, 0), b = start(conn, 0);
    hrpc_buffer stream = {0};
    put_settings(&stream);
    uint8_t header[HRPC_HEADER_SIZE];
    hrpc_put_header(header, 0xFFFFFFFFu, a, HRPC_FRAME_RESPONSE, 0, 3);
    hrpc_conn_feed(conn, stream.data, stream.end);
    hrpc_conn_feed(conn, header, sizeof header);
    uint8_t junk[65536];
    memset(junk, 0xAB, sizeof junk);
    for (int i = 0; i < 64; i++) hrpc_conn_feed(conn, junk, sizeof junk); /* 4 MiB of body, never buffered */
    hrpc_result result;
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == HRPC_STATUS_RESOURCE_EXHAUSTED && result.is_local &&
              strstr(result.status_message, "4294967295") != NULL && strstr(result.status_message, "16384") != NULL,
          "oversized RESPONSE fails its call with RESOURCE_EXHAUSTED naming both sizes");
    hrpc_result_clear(&result);
    CHECK(!hrpc_conn_is_closed(conn), "oversized RESPONSE keeps the connection");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* Skipped bytes end exactly at the frame's end: the next frame decodes. */
    conn = new_conn();
    a = start(conn, 0);
    b = start(conn, 0);
    put_settings(&stream);
    hrpc_put_header(header, 20000, a, HRPC_FRAME_RESPONSE, 0, 3);
    hrpc_conn_feed(conn, stream.data, stream.end);
    hrpc_conn_feed(conn, header, sizeof header);
    hrpc_conn_feed(conn, junk, 20000);
    hrpc_buffer_free(&stream);
    put_response(&stream, b, 0, "", NULL, 0, (const uint8_t *)"ok", 2, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    CHECK(hrpc_conn_take_completed(conn, b, &result) && result.code == 0 && result.message_len == 2,
          "the frame after a skipped one decodes");
    hrpc_result_clear(&result);
    drain_results(conn);
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* An extension frame is skipped at any length, unbuffered: never FRAME_TOO_LARGE (PROTOCOL.md §3.1). A
     * 5 MiB one (limit 16 KiB) arrives in pieces, header split too; the RESPONSE after it completes call a. */
    conn = new_conn();
    a = start(conn, 0);
    put_settings(&stream);
    hrpc_conn_feed(conn, stream.data, stream.end);
    hrpc_buffer_free(&stream);
    uint32_t extension_length = 5u << 20;
    hrpc_put_header(header, extension_length, 9, 0xC3, 0x0F, 0xFFFF);
    hrpc_conn_feed(conn, header, 5);
    hrpc_conn_feed(conn, header + 5, sizeof header - 5);
    for (uint32_t left = extension_length; left > 0;) {
        uint32_t n = 1 + (left * 7u) % (uint32_t)sizeof junk; /* uneven pieces, at most one junk buffer */
        if (n > left) n = left;
        hrpc_conn_feed(conn, junk, n);
        left -= n;
    }
    put_response(&stream, a, 0, "", NULL, 0, (const uint8_t *)"ok", 2, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    CHECK(!hrpc_conn_is_closed(conn) && hrpc_conn_goaway_error(conn) == -1, "oversized extension frame keeps the connection");
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == 0 && result.message_len == 2,
          "the frame after a skipped extension frame decodes");
    hrpc_result_clear(&result);
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* An oversized SETTINGS is a connection error: GOAWAY FRAME_TOO_LARGE, calls fail UNAVAILABLE. */
    conn = new_conn();
    a = start(conn, 0);
    put_settings(&stream);
    hrpc_put_header(header, 0x7FFFFFFFu, 0, HRPC_FRAME_SETTINGS, 0, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    hrpc_conn_feed(conn, header, sizeof header);
    hrpc_frame frame;
    CHECK(hrpc_conn_is_closed(conn) && last_output_frame(conn, &frame) && frame.type == HRPC_FRAME_GOAWAY &&
              frame.goaway_error == HRPC_GOAWAY_FRAME_TOO_LARGE, "oversized SETTINGS: GOAWAY FRAME_TOO_LARGE");
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == HRPC_STATUS_UNAVAILABLE, "open call fails UNAVAILABLE");
    hrpc_result_clear(&result);
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);
    (void)b;
}

static void test_connection_rules(void) {
    hrpc_buffer stream = {0};
    hrpc_frame frame;
    hrpc_result result;

    /* First frame not SETTINGS. */
    hrpc_conn *conn = new_conn();
    uint8_t ping[8] = {9, 8, 7, 6, 5, 4, 3, 2};
    hrpc_append_frame(&stream, 0, HRPC_FRAME_PING, 0, NULL, 0, ping, 8);
    CHECK(hrpc_conn_feed(conn, stream.data, stream.end) == HRPC_ERR_PROTOCOL && hrpc_conn_is_closed(conn) &&
              last_output_frame(conn, &frame) && frame.goaway_error == HRPC_GOAWAY_PROTOCOL_ERROR,
          "a first frame other than SETTINGS closes with GOAWAY PROTOCOL_ERROR");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* PING is answered with the same bytes; unknown code maps to UNKNOWN; invalid UTF-8 is replaced; hrpc-
     * trailers are dropped. */
    conn = new_conn();
    uint32_t a = start(conn, 0);
    put_settings(&stream);
    hrpc_append_frame(&stream, 0, HRPC_FRAME_PING, 0, NULL, 0, ping, 8);
    const uint8_t trailers[] = {0, 6, 0, 1, 'h', 'r', 'p', 'c', '-', 'x', 'y', 0, 1, 0, 1, 'k', 'v'};
    put_response(&stream, a, 42, "bad \xff utf8", trailers, sizeof trailers, NULL, 0, 0);
    CHECK(hrpc_conn_feed(conn, stream.data, stream.end) == HRPC_OK, "valid frames accepted");
    CHECK(hrpc_conn_is_ready(conn), "ready after SETTINGS");
    CHECK(last_output_frame(conn, &frame) && frame.type == HRPC_FRAME_PONG && memcmp(frame.payload, ping, 8) == 0,
          "PING answered with a PONG carrying the same 8 bytes");
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == HRPC_STATUS_UNKNOWN && result.wire_code == 42 &&
              strcmp(result.status_message, "bad \xef\xbf\xbd utf8") == 0 && result.trailer_count == 1 &&
              strcmp(result.trailers[0].key, "k") == 0,
          "code 42 reported as UNKNOWN, invalid UTF-8 replaced, hrpc- trailer dropped");
    hrpc_result_clear(&result);
    hrpc_buffer_free(&stream);

    /* A RESPONSE for an unknown call id is ignored. REQUEST from the server is a protocol error. */
    put_response(&stream, 777, 0, "", NULL, 0, NULL, 0, 0);
    CHECK(hrpc_conn_feed(conn, stream.data, stream.end) == HRPC_OK && !hrpc_conn_has_completed(conn),
          "RESPONSE for an unknown call ignored");
    hrpc_buffer_free(&stream);
    uint8_t meta[14] = {0};
    hrpc_append_frame(&stream, 5, HRPC_FRAME_REQUEST, HRPC_FLAG_END_STREAM, meta, sizeof meta, NULL, 0);
    CHECK(hrpc_conn_feed(conn, stream.data, stream.end) == HRPC_ERR_PROTOCOL && hrpc_conn_is_closed(conn),
          "REQUEST from the server is a protocol error");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* DRAIN: DRAIN_ACK sent, new calls refused locally (UNAVAILABLE, not processed), open calls still served. */
    conn = new_conn();
    a = start(conn, 0);
    put_settings(&stream);
    hrpc_append_frame(&stream, 0, HRPC_FRAME_DRAIN, 0, NULL, 0, NULL, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    CHECK(hrpc_conn_is_draining(conn) && last_output_frame(conn, &frame) && frame.type == HRPC_FRAME_DRAIN_ACK,
          "DRAIN answered with DRAIN_ACK");
    uint32_t refused = start(conn, 0);
    CHECK(hrpc_conn_take_completed(conn, refused, &result) && result.code == HRPC_STATUS_UNAVAILABLE && result.not_processed,
          "call after DRAIN refused: UNAVAILABLE + not processed");
    hrpc_result_clear(&result);
    hrpc_buffer_free(&stream);
    put_response(&stream, a, 0, "", NULL, 0, (const uint8_t *)"", 0, 0);
    uint8_t goaway[4] = {0, 0, 0, 0};
    hrpc_append_frame(&stream, 0, HRPC_FRAME_GOAWAY, 0, goaway, 4, NULL, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == 0 && result.has_message && result.message_len == 0,
          "call opened before DRAIN served (empty message kept as a message)");
    hrpc_result_clear(&result);
    CHECK(hrpc_conn_is_closed(conn) && hrpc_conn_goaway_error(conn) == 0, "GOAWAY NO_ERROR closes");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* Local deadline: DEADLINE_EXCEEDED at once, CANCEL sent, the id stays taken until the late RESPONSE. */
    conn = new_conn();
    put_settings(&stream);
    hrpc_conn_feed(conn, stream.data, stream.end);
    hrpc_buffer_free(&stream);
    a = start(conn, 1);
    CHECK(hrpc_conn_next_timer_ms(conn) >= 0, "a deadline sets a timer");
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    hrpc_conn_process_timers(conn);
    CHECK(hrpc_conn_take_completed(conn, a, &result) && result.code == HRPC_STATUS_DEADLINE_EXCEEDED && result.is_local,
          "expired call reported DEADLINE_EXCEEDED");
    hrpc_result_clear(&result);
    CHECK(last_output_frame(conn, &frame) && frame.type == HRPC_FRAME_CANCEL && frame.call_id == a, "CANCEL sent");
    put_response(&stream, a, 4, "late", NULL, 0, NULL, 0, 0);
    hrpc_conn_feed(conn, stream.data, stream.end);
    CHECK(!hrpc_conn_has_completed(conn) && hrpc_conn_open_calls(conn) == 0, "late RESPONSE of an expired call dropped");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);

    /* Bad metadata from the caller is refused before anything is sent. */
    conn = new_conn();
    hrpc_metadata bad = {.key = "Upper", .value = (const uint8_t *)"v", .value_len = 1};
    hrpc_call_options options = {.metadata = &bad, .metadata_count = 1};
    uint32_t id;
    CHECK(hrpc_conn_start_call(conn, "/test.Echo/Unary", NULL, 0, &options, &id) == HRPC_ERR_INVALID_ARGUMENT,
          "upper-case metadata key refused");
    hrpc_conn_free(conn);
}

static void test_many_calls_table_growth(void) {
    hrpc_conn *conn = new_conn();
    hrpc_buffer stream = {0};
    put_settings(&stream);
    enum { CALLS = 1000 };
    uint32_t ids[CALLS];
    for (int i = 0; i < CALLS; i++) ids[i] = start(conn, 0);
    /* Answer in reverse order: each result matches its call by id. */
    for (int i = CALLS - 1; i >= 0; i--) {
        uint8_t message[4];
        hrpc_put_u32(message, ids[i]);
        put_response(&stream, ids[i], 0, "", NULL, 0, message, 4, 0);
    }
    hrpc_conn_feed(conn, stream.data, stream.end);
    int matched = 0;
    for (int i = 0; i < CALLS; i++) {
        hrpc_result result;
        if (hrpc_conn_take_completed(conn, ids[i], &result) && result.message_len == 4 && hrpc_get_u32(result.message) == ids[i]) matched++;
        hrpc_result_clear(&result);
    }
    CHECK(matched == CALLS, "1000 pipelined calls answered in reverse order each match their id");
    hrpc_conn_free(conn);
    hrpc_buffer_free(&stream);
}

static void test_deadline_on_the_wire(void) {
    /* timeout_ms travels as microseconds; timeout_us, when set, replaces it for sub-millisecond budgets. */
    hrpc_conn *conn = new_conn();
    hrpc_frame frame;
    start(conn, 1500);
    CHECK(last_output_frame(conn, &frame) && frame.type == HRPC_FRAME_REQUEST && frame.timeout_us == 1500000,
          "timeout_ms 1500 is sent as timeout_us 1500000");
    hrpc_call_options options = {.timeout_ms = 1500, .timeout_us = 250};
    uint32_t id;
    CHECK(hrpc_conn_start_call(conn, "/test.Echo/Unary", NULL, 0, &options, &id) == HRPC_OK &&
              last_output_frame(conn, &frame) && frame.call_id == id && frame.timeout_us == 250,
          "timeout_us 250 is sent as is");
    hrpc_conn_free(conn);
}

int main(void) {
    test_truncated_at_every_byte();
    test_random_garbage();
    test_mutated_frames();
    test_oversized();
    test_connection_rules();
    test_many_calls_table_growth();
    test_deadline_on_the_wire();
    return check_report();
}
