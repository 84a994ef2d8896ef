/* The client against a real HabitRPC server over TCP on 127.0.0.1 (started by tests/run_loopback.sh):
 * unary echo with a bearer token, 64 pipelined calls through the event-loop API, unknown method, deadline,
 * PING both ways, an oversized response, a typed protobuf-c call, drain, and a clean close.
 * Usage: test_loopback HOST PORT. Prints "N passed, M failed". */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "habitrpc.h"
#include "habit/v1/health.pb-c.h"

static int passed, failed;
static const char *host;
static uint16_t port;

#define CHECK(cond, what)                                                                                   \
    do {                                                                                                    \
        if (cond) {                                                                                         \
            passed++;                                                                                       \
        } else {                                                                                            \
            failed++;                                                                                       \
            printf("FAIL %s:%d %s: %s\n", __FILE__, __LINE__, __func__, what);                             \
        }                                                                                                   \
    } while (0)

static hrpc_conn *connect_or_die(const hrpc_conn_options *options) {
    hrpc_conn *conn = NULL;
    if (hrpc_connect(host, port, options, 5000, &conn) != HRPC_OK) {
        printf("FAIL cannot connect to %s:%u: %s\n", host, port, conn != NULL ? hrpc_conn_error(conn) : "no socket");
        exit(1);
    }
    return conn;
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
    hrpc_metadata token;
    CHECK(hrpc_bearer("test-token", storage, sizeof storage, &token) == HRPC_OK, "bearer entry");
    hrpc_call_options options = {.timeout_ms = 5000, .metadata = &token, .metadata_count = 1};
    hrpc_result result;
    CHECK(hrpc_call(conn, "/test.Echo/Unary", (const uint8_t *)"hello", 5, &options, &result) == HRPC_OK, "call made");
    CHECK(result.code == HRPC_STATUS_OK && result.has_message && result.message_len == 5 && memcmp(result.message, "hello", 5) == 0,
          "unary echo returns the request");
    bool saw_token = false;
    for (size_t i = 0; i < result.trailer_count; i++) {
        const hrpc_metadata *t = &result.trailers[i];
        if (strcmp(t->key, "authorization") == 0 && t->value_len == 17 && memcmp(t->value, "Bearer test-token", 17) == 0) saw_token = true;
    }
    CHECK(saw_token, "the bearer token reached the server (echoed as trailing metadata)");
    hrpc_result_clear(&result);
    hrpc_close(conn, 1000);
}

enum { PIPELINED = 64 };
typedef struct {
    int completed;
    int matched;
} pipeline_state;

/* Payload of pipelined call i: "<ms>-<i>", where every 4th call is slow (30 ms), so responses come back
 * out of order and must be matched by call id. */
static int pipeline_payload(int index, char *buf, size_t size) { return snprintf(buf, size, "%d-%d", index % 4 == 0 ? 30 : 0, index); }

static bool pipeline_done(hrpc_conn *conn, void *context) {
    pipeline_state *state = context;
    hrpc_result result;
    while (hrpc_conn_next_completed(conn, &result)) {
        char expected[32];
        int n = pipeline_payload((int)(intptr_t)result.user_data, expected, sizeof expected);
        if (result.code == HRPC_STATUS_OK && result.message_len == (size_t)n && memcmp(result.message, expected, (size_t)n) == 0) {
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
        char payload[32];
        int n = pipeline_payload(i, payload, sizeof payload);
        hrpc_call_options options = {.timeout_ms = 10000, .user_data = (void *)(intptr_t)i};
        uint32_t id;
        if (hrpc_conn_start_call(conn, i % 4 == 0 ? "/test.Echo/Slow" : "/test.Echo/Unary", (const uint8_t *)payload,
                                 (size_t)n, &options, &id) == HRPC_OK) {
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
    CHECK(call_text(conn, "/test.Echo/NoSuchMethod", "x", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_UNIMPLEMENTED &&
              result.not_processed && !result.is_local && strlen(result.status_message) > 0,
          "unknown method: UNIMPLEMENTED + NOT_PROCESSED with a message");
    hrpc_result_clear(&result);
    CHECK(call_text(conn, "/test.Echo/Slow", "3000", 100, &result) == HRPC_OK && result.code == HRPC_STATUS_DEADLINE_EXCEEDED,
          "slow call with a 100 ms deadline: DEADLINE_EXCEEDED");
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

static void test_pings(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    hrpc_result result;
    CHECK(call_text(conn, "/test.Echo/Ping", "", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_OK && result.message_len == 8,
          "server PING answered: the server saw its 8 bytes come back");
    hrpc_result_clear(&result);
    CHECK(hrpc_conn_pings_answered(conn) == 1, "one PING answered");
    const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(hrpc_conn_send_ping(conn, data) == HRPC_OK, "client PING queued");
    run_event_loop(conn, pong_received, NULL);
    CHECK(hrpc_conn_pongs_received(conn) == 1, "client PING answered with a PONG");
    hrpc_close(conn, 1000);
}

static void test_oversized_response(void) {
    hrpc_conn_options options = {.max_frame_size = 16384};
    hrpc_conn *conn = connect_or_die(&options);
    hrpc_result result;
    CHECK(call_text(conn, "/test.Echo/Big", "100000", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_RESOURCE_EXHAUSTED,
          "a 100000-byte response over our 16384 max: RESOURCE_EXHAUSTED");
    hrpc_result_clear(&result);
    CHECK(call_text(conn, "/test.Echo/Big", "1000", 5000, &result) == HRPC_OK && result.code == HRPC_STATUS_OK && result.message_len == 1000,
          "the connection still works after skipping it");
    hrpc_result_clear(&result);
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

static bool slow_done_and_closed(hrpc_conn *conn, void *context) {
    hrpc_result *slow = context;
    hrpc_result result;
    while (hrpc_conn_next_completed(conn, &result)) {
        if (slow->call_id == result.call_id) {
            *slow = result;
        } else {
            hrpc_result_clear(&result);
        }
    }
    return false; /* runs until the server's GOAWAY closes the connection */
}

static void test_drain(void) {
    hrpc_conn *conn = connect_or_die(NULL);
    uint32_t slow_id, drain_id;
    hrpc_call_options options = {.timeout_ms = 5000};
    hrpc_conn_start_call(conn, "/test.Echo/Slow", (const uint8_t *)"300", 3, &options, &slow_id);
    hrpc_result result;
    hrpc_err err = hrpc_conn_start_call(conn, "/test.Echo/Drain", NULL, 0, &options, &drain_id);
    while (err == HRPC_OK && !hrpc_conn_take_completed(conn, drain_id, &result)) err = hrpc_conn_wait(conn, 5000);
    CHECK(err == HRPC_OK && result.code == HRPC_STATUS_OK, "drain call answered");
    hrpc_result_clear(&result);
    while (!hrpc_conn_is_draining(conn) && !hrpc_conn_is_closed(conn)) {
        if (hrpc_conn_wait(conn, 200) != HRPC_ERR_TIMEOUT) break;
    }
    CHECK(hrpc_conn_is_draining(conn), "DRAIN received");
    CHECK(call_text(conn, "/test.Echo/Unary", "late", 1000, &result) == HRPC_OK && result.code == HRPC_STATUS_UNAVAILABLE &&
              result.not_processed && result.is_local, "a new call while draining: UNAVAILABLE + not processed");
    hrpc_result_clear(&result);
    hrpc_result slow = {.call_id = slow_id};
    run_event_loop(conn, slow_done_and_closed, &slow);
    CHECK(slow.code == HRPC_STATUS_OK && slow.message_len == 3, "the call opened before DRAIN was served");
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
    test_pings();
    test_oversized_response();
    test_protobuf_message_call();
    test_drain();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
