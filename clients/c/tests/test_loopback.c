/* The client against a running HabitRPC server on 127.0.0.1 serving test.Echo (rpc-echo-server or
 * tests/fake_server.py, started by tests/run_loopback.sh): unary echo with a bearer token, 64 pipelined calls
 * through the event-loop API matched by id, status codes and messages, unknown method, deadline, PING, an
 * oversized response, a typed protobuf-c call, clean close, and drain (SIGTERM to HRPC_SERVER_PID, last).
 * Usage: test_loopback HOST PORT. Prints "N passed, M failed". */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "habitrpc.h"
#include "habit/v1/health.pb-c.h"

static const char *host;
static uint16_t port;

static hrpc_conn *connect_or_die(const hrpc_conn_options *options) {
    hrpc_conn *conn = NULL;
    if (hrpc_connect(host, port, options, 5000, &conn) != HRPC_OK) {
        printf("FAIL cannot connect to %s:%u: %s\n", host, port, conn != NULL ? hrpc_conn_error(conn) : "no socket");
        exit(1);
    }
    return conn;
}

/* test.Echo/Slow's request: a big-endian u32 of milliseconds, then any bytes (echoed back whole). */
static size_t slow_request(uint32_t ms, const char *tail, uint8_t *buf, size_t size) {
    size_t tail_len = strlen(tail);
    if (4 + tail_len > size) abort();
    buf[0] = (uint8_t)(ms >> 24);
    buf[1] = (uint8_t)(ms >> 16);
    buf[2] = (uint8_t)(ms >> 8);
    buf[3] = (uint8_t)ms;
    memcpy(buf + 4, tail, tail_len);
    return 4 + tail_len;
}

static hrpc_err call_text(hrpc_conn *conn, const char *method, const char *text, uint32_t timeout_ms, hrpc_result *result) {
    hrpc_call_options options = {.timeout_ms = timeout_ms};
    return hrpc_call(conn, method, (const uint8_t *)text, strlen(text), &options, result);
}

/* An event loop of the caller's own, driving the non-blocking API until `done` says stop. */
static void run_event_loop(hrpc_conn *conn, bool (*done)(hrpc_conn *, void *), void *context) {
    for (int turns = 0; turns < 100000 && !done(conn, context) && !hrpc_conn_is_closed(conn); turns++) {
        struct pollfd pfd = {.fd = hrpc_conn_fd(conn), .events = POLLIN};
        if (hrpc_conn_wants_write(conn)) pfd.events |= POLLOUT;
        int timer = hrpc_conn_next_timer_ms(conn);
        if (poll(&pfd, 1, timer < 0 || timer > 1000 ? 1000 : timer) > 0) {
            if (pfd.revents & POLLOUT) hrpc_conn_on_writable(conn);
            if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) hrpc_conn_on_readable(conn);
        }
        hrpc_conn_process_timers(conn);
    }
}

static void test_unary_with_token(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    CHECK(hrpc_conn_peer_max_frame_size(conn) >= 16384, "server SETTINGS received");
    char storage[64];
    hrpc_metadata entries[2];
    CHECK(hrpc_bearer("test-token", storage, sizeof storage, &entries[0]) == HRPC_OK, "bearer entry");
    const uint8_t trace[] = {0x00, 0xff, 0x10};
    entries[1] = (hrpc_metadata){.key = "trace-bin", .value = trace, .value_len = sizeof trace, .is_binary = true};
    hrpc_call_options options = {.timeout_ms = 5000, .metadata = entries, .metadata_count = 2, .send_method_name = true};
    hrpc_result result;
    CHECK(hrpc_call(conn, "/test.Echo/Unary", (const uint8_t *)"hello", 5, &options, &result) == HRPC_OK, "call made");
    CHECK(result.code == HRPC_STATUS_OK && !result.not_processed && result.has_message && result.message_len == 5 &&
              memcmp(result.message, "hello", 5) == 0, "unary echo with metadata returns the request");
    hrpc_result_clear(&result);
    CHECK(hrpc_call(conn, "/test.Echo/Unary", NULL, 0, NULL, &result) == HRPC_OK && result.code == HRPC_STATUS_OK &&
              result.has_message && result.message_len == 0, "an empty message is still a message");
    hrpc_result_clear(&result);
    hrpc_close(conn, 1000);
}

enum { PIPELINED = 64 };
typedef struct {
    int completed;
    int matched;
} pipeline_state;

/* Request of pipelined call i: a Slow request of 0 ms (30 ms for every 4th call, so responses come back
 * out of order and must be matched by call id), tagged with i. */
static size_t pipeline_request(int index, uint8_t *buf, size_t size) {
    char tag[16];
    snprintf(tag, sizeof tag, "call-%d", index);
    return slow_request(index % 4 == 0 ? 30 : 0, tag, buf, size);
}

static bool pipeline_done(hrpc_conn *conn, void *context) {
    pipeline_state *state = context;
    hrpc_result result;
    while (hrpc_conn_next_completed(conn, &result)) {
        uint8_t expected[32];
        size_t n = pipeline_request((int)(intptr_t)result.user_data, expected, sizeof expected);
        if (result.code == HRPC_STATUS_OK && result.message_len == n && memcmp(result.message, expected, n) == 0) {
            state->matched++;
        }
        state->completed++;
        hrpc_result_clear(&result);
    }
    return state->completed == PIPELINED;
}

static void test_pipelined_event_loop(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    int started = 0;
    for (int i = 0; i < PIPELINED; i++) {
        uint8_t request[32];
        size_t n = pipeline_request(i, request, sizeof request);
        hrpc_call_options options = {.timeout_ms = 10000, .user_data = (void *)(intptr_t)i};
        uint32_t id;
        if (hrpc_conn_start_call(conn, "/test.Echo/Slow", request, n, &options, &id) == HRPC_OK) {
            started++;
        }
    }
    CHECK(started == PIPELINED && hrpc_conn_open_calls(conn) == PIPELINED, "64 calls open at once on one connection");
    pipeline_state state = {0};
    run_event_loop(conn, pipeline_done, &state);
    CHECK(state.completed == PIPELINED, "all 64 pipelined calls completed");
    CHECK(state.matched == PIPELINED, "every response matched its call by id (slow ones answered last)");
    hrpc_close(conn, 1000);
}

static void test_status_codes_and_deadline(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    hrpc_result result;
    CHECK(call_text(conn, "/test.Echo/Fail", "no habit h-1 \xc3\xa9", 5000, &result) == HRPC_OK &&
              result.code == HRPC_STATUS_NOT_FOUND && !result.has_message && !result.is_local &&
              strcmp(result.status_message, "no habit h-1 \xc3\xa9") == 0, "error status code and UTF-8 message reported");
    hrpc_result_clear(&result);
    CHECK(call_text(conn, "/test.Echo/NoSuchMethod", "x", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_UNIMPLEMENTED &&
              result.not_processed && !result.is_local && strlen(result.status_message) > 0,
          "unknown method: UNIMPLEMENTED + NOT_PROCESSED with a message");
    hrpc_result_clear(&result);
    uint8_t slow[8];
    hrpc_call_options short_deadline = {.timeout_ms = 100};
    CHECK(hrpc_call(conn, "/test.Echo/Slow", slow, slow_request(3000, "", slow, sizeof slow), &short_deadline, &result) == HRPC_OK &&
              result.code == HRPC_STATUS_DEADLINE_EXCEEDED, "3 s call with a 100 ms deadline: DEADLINE_EXCEEDED");
    hrpc_result_clear(&result);
    CHECK(call_text(conn, "/test.Echo/Unary", "after", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_OK &&
              result.message_len == 5, "the connection still works after a deadline");
    hrpc_result_clear(&result);
    hrpc_close(conn, 1000);
}

static bool pong_received(hrpc_conn *conn, void *context) {
    (void)context;
    return hrpc_conn_pongs_received(conn) >= 1;
}

static void test_ping(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(hrpc_conn_send_ping(conn, data) == HRPC_OK, "PING queued");
    run_event_loop(conn, pong_received, NULL);
    CHECK(hrpc_conn_pongs_received(conn) == 1, "the server answered the PING with a PONG");
    hrpc_close(conn, 1000);
}

static void test_oversized_response(void) {
    hrpc_conn_options options = {.max_frame_size = 16384};
    hrpc_conn *conn = connect_or_die(&options);
    enum { BIG = 100000 };
    uint8_t *big = calloc(1, BIG);
    hrpc_call_options call_options = {.timeout_ms = 5000};
    hrpc_result result;
    CHECK(hrpc_call(conn, "/test.Echo/Unary", big, BIG, &call_options, &result) == HRPC_OK &&
              result.code == HRPC_STATUS_RESOURCE_EXHAUSTED && !result.is_local &&
              strcmp(result.status_message, "RESPONSE frame of 100003 bytes exceeds the client's max 16384") == 0,
          "a 100000-byte echo over our 16384 max frame: the server sends RESOURCE_EXHAUSTED naming both sizes instead");
    hrpc_result_clear(&result);
    CHECK(hrpc_call(conn, "/test.Echo/Unary", big, 1000, &call_options, &result) == HRPC_OK && result.code == HRPC_STATUS_OK &&
              result.message_len == 1000, "the connection still works after skipping it");
    hrpc_result_clear(&result);
    free(big);
    hrpc_close(conn, 1000);
}

static void test_protobuf_message_call(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    Habit__V1__HealthCheckRequest request = HABIT__V1__HEALTH_CHECK_REQUEST__INIT;
    request.service = "habit.v1.HabitService";
    ProtobufCMessage *response = NULL;
    hrpc_result result;
    hrpc_call_options options = {.timeout_ms = 5000};
    CHECK(hrpc_call_message(conn, "/test.Echo/Unary", &request.base, &habit__v1__health_check_request__descriptor, &options,
                            &response, &result) == HRPC_OK && result.code == HRPC_STATUS_OK && response != NULL,
          "typed call packed and unpacked with protobuf-c");
    if (response != NULL) {
        CHECK(strcmp(((Habit__V1__HealthCheckRequest *)response)->service, "habit.v1.HabitService") == 0, "message round trip");
        protobuf_c_message_free_unpacked(response, NULL);
    }
    hrpc_result_clear(&result);
    hrpc_close(conn, 1000);
}

static bool slow_done(hrpc_conn *conn, void *context) {
    hrpc_result *slow = context;
    hrpc_result result;
    while (hrpc_conn_next_completed(conn, &result)) {
        if (slow->call_id == result.call_id) {
            *slow = result;
        } else {
            hrpc_result_clear(&result);
        }
    }
    return false; /* runs until the server closes the connection after the drain */
}

/* Last: SIGTERM makes the server drain this connection and exit. */
static void test_drain(void) {
    const char *pid_text = getenv("HRPC_SERVER_PID");
    CHECK(pid_text != NULL, "HRPC_SERVER_PID set by run_loopback.sh");
    if (pid_text == NULL) return;
    hrpc_conn *conn = connect_or_die(NULL);
    uint8_t request[8];
    hrpc_call_options options = {.timeout_ms = 10000};
    uint32_t slow_id;
    CHECK(hrpc_conn_start_call(conn, "/test.Echo/Slow", request, slow_request(300, "", request, sizeof request), &options,
                               &slow_id) == HRPC_OK, "slow call started");
    /* A round trip after it proves the slow REQUEST reached the server before the drain starts. */
    hrpc_result result;
    CHECK(call_text(conn, "/test.Echo/Unary", "x", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_OK, "round trip");
    hrpc_result_clear(&result);
    CHECK(kill((pid_t)atoi(pid_text), SIGTERM) == 0, "SIGTERM sent to the server");
    hrpc_result slow = {.call_id = slow_id};
    while (!hrpc_conn_is_draining(conn) && !hrpc_conn_is_closed(conn) && !hrpc_conn_has_completed(conn)) {
        if (hrpc_conn_wait(conn, 100) != HRPC_ERR_TIMEOUT) break;
    }
    CHECK(hrpc_conn_is_draining(conn), "DRAIN received while a call is open");
    CHECK(call_text(conn, "/test.Echo/Unary", "late", 1000, &result) == HRPC_OK && result.code == HRPC_STATUS_UNAVAILABLE &&
              result.not_processed && result.is_local, "a new call while draining: UNAVAILABLE + not processed");
    hrpc_result_clear(&result);
    run_event_loop(conn, slow_done, &slow);
    CHECK(slow.code == HRPC_STATUS_OK && slow.message_len == 4, "the call opened before DRAIN was served");
    hrpc_result_clear(&slow);
    CHECK(hrpc_conn_is_closed(conn) && hrpc_conn_goaway_error(conn) == 0, "server closed with GOAWAY NO_ERROR after the drain");
    hrpc_conn_free(conn);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = (uint16_t)atoi(argv[2]);
    test_unary_with_token();
    test_pipelined_event_loop();
    test_status_codes_and_deadline();
    test_ping();
    test_oversized_response();
    test_protobuf_message_call();
    test_drain();
    return check_report();
}
