/* blocking.c: the blocking API, built only from the non-blocking core's public functions and poll(). */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "habitrpc.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before `deadline` (-1 = none), never negative. */
static int remaining_ms(int64_t deadline) {
    if (deadline < 0) return -1;
    int64_t left = deadline - now_ms();
    return left <= 0 ? 0 : left > 0x7FFFFFFF ? 0x7FFFFFFF : (int)left;
}

/* One turn of the loop: write what is queued, wait for the socket or the next call deadline (at most
 * wait_ms, -1 = no limit), read, and fire due deadlines. */
static hrpc_err drive_once(hrpc_conn *conn, int wait_ms) {
    if (hrpc_conn_is_closed(conn)) return HRPC_ERR_CLOSED;
    if (hrpc_conn_wants_write(conn)) {
        hrpc_err err = hrpc_conn_on_writable(conn);
        if (err != HRPC_OK) return err;
    }
    int fd = hrpc_conn_fd(conn);
    if (fd < 0) return hrpc_conn_is_closed(conn) ? HRPC_ERR_CLOSED : HRPC_ERR_INVALID_ARGUMENT;
    int timer = hrpc_conn_next_timer_ms(conn);
    int timeout = timer < 0 ? wait_ms : wait_ms < 0 || timer < wait_ms ? timer : wait_ms;
    struct pollfd pfd = {.fd = fd, .events = (short)(POLLIN | (hrpc_conn_wants_write(conn) ? POLLOUT : 0))};
    int ready = poll(&pfd, 1, timeout);
    hrpc_err err = HRPC_OK;
    if (ready > 0) {
        if (pfd.revents & POLLOUT) err = hrpc_conn_on_writable(conn);
        if (err == HRPC_OK && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) err = hrpc_conn_on_readable(conn);
    }
    hrpc_conn_process_timers(conn);
    return err;
}

hrpc_err hrpc_connect(const char *host, uint16_t port, const hrpc_conn_options *options, uint32_t timeout_ms,
                      hrpc_conn **out) {
    hrpc_conn *conn;
    *out = NULL;
    hrpc_err err = hrpc_conn_open(host, port, options, &conn);
    if (err != HRPC_OK) return err;
    int64_t deadline = now_ms() + timeout_ms;
    while (!hrpc_conn_is_ready(conn)) {
        int left = remaining_ms(deadline);
        err = left == 0 ? HRPC_ERR_TIMEOUT : drive_once(conn, left);
        if (err == HRPC_OK && hrpc_conn_is_closed(conn)) err = HRPC_ERR_CLOSED;
        if (err != HRPC_OK) break;
    }
    *out = conn;
    return err;
}

hrpc_err hrpc_conn_wait(hrpc_conn *conn, int timeout_ms) {
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    while (!hrpc_conn_has_completed(conn)) {
        int left = remaining_ms(deadline);
        if (left == 0) return HRPC_ERR_TIMEOUT;
        hrpc_err err = drive_once(conn, left);
        if (err != HRPC_OK && !hrpc_conn_has_completed(conn)) return err;
    }
    return HRPC_OK;
}

/* Drives the connection until call `id` completes: its own deadline, or the connection closing, always
 * completes it, so this ends. */
static hrpc_err await_call(hrpc_conn *conn, uint32_t id, hrpc_result *result) {
    while (!hrpc_conn_take_completed(conn, id, result)) {
        hrpc_err err = drive_once(conn, -1);
        if (err != HRPC_OK) return hrpc_conn_take_completed(conn, id, result) ? HRPC_OK : err;
    }
    return HRPC_OK;
}

hrpc_err hrpc_call(hrpc_conn *conn, const char *method, const uint8_t *request, size_t request_len,
                   const hrpc_call_options *options, hrpc_result *result) {
    uint32_t id;
    hrpc_err err = hrpc_conn_start_call(conn, method, request, request_len, options, &id);
    return err != HRPC_OK ? err : await_call(conn, id, result);
}

hrpc_err hrpc_call_message(hrpc_conn *conn, const char *method, const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_descriptor, const hrpc_call_options *options,
                           ProtobufCMessage **response, hrpc_result *result) {
    *response = NULL;
    uint32_t id;
    hrpc_err err = hrpc_conn_start_message_call(conn, method, request, options, &id);
    if (err == HRPC_OK) err = await_call(conn, id, result);
    if (err != HRPC_OK) return err;
    if (result->code == HRPC_STATUS_OK && result->has_message) {
        *response = protobuf_c_message_unpack(response_descriptor, NULL, result->message_len, result->message);
        if (*response == NULL) return HRPC_ERR_PROTOCOL;
    }
    return HRPC_OK;
}

void hrpc_close(hrpc_conn *conn, uint32_t timeout_ms) {
    if (conn == NULL) return;
    hrpc_conn_shutdown(conn);
    int64_t deadline = now_ms() + timeout_ms;
    while (hrpc_conn_wants_write(conn) && remaining_ms(deadline) > 0) {
        if (drive_once(conn, remaining_ms(deadline)) != HRPC_OK) break;
    }
    hrpc_conn_free(conn);
}

hrpc_err hrpc_bearer(const char *token, char *storage, size_t storage_len, hrpc_metadata *entry) {
    if (token == NULL || storage == NULL || entry == NULL) return HRPC_ERR_INVALID_ARGUMENT;
    int n = snprintf(storage, storage_len, "Bearer %s", token);
    if (n < 0 || (size_t)n >= storage_len) return HRPC_ERR_INVALID_ARGUMENT;
    *entry = (hrpc_metadata){.key = "authorization", .value = (const uint8_t *)storage, .value_len = (size_t)n};
    return HRPC_OK;
}
