/* bench_unary: no-op unary calls (test.Echo/Unary, empty message) on one connection with a fixed number in
 * flight, driven by the non-blocking API; prints calls/s and p50/p99 latency. Not a test: run by hand.
 * Usage: bench_unary HOST PORT IN_FLIGHT CALLS */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "habitrpc.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Runs `calls` calls keeping `in_flight` open; latencies[i] gets call i's time in ns. */
static int run(hrpc_conn *conn, int in_flight, int calls, uint64_t *latencies) {
    uint64_t *started = calloc((size_t)calls, sizeof *started);
    int next = 0, done = 0;
    while (done < calls) {
        while (next < calls && next - done < in_flight) {
            hrpc_call_options options = {.user_data = (void *)(intptr_t)next};
            uint32_t id;
            started[next] = now_ns();
            if (hrpc_conn_start_call(conn, "/test.Echo/Unary", NULL, 0, &options, &id) != HRPC_OK) return -1;
            next++;
        }
        struct pollfd pfd = {.fd = hrpc_conn_fd(conn), .events = POLLIN};
        if (hrpc_conn_wants_write(conn)) hrpc_conn_on_writable(conn);
        if (hrpc_conn_wants_write(conn)) pfd.events |= POLLOUT;
        if (poll(&pfd, 1, 5000) <= 0) return -1;
        if (pfd.revents & POLLOUT) hrpc_conn_on_writable(conn);
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (hrpc_conn_on_readable(conn) != HRPC_OK && hrpc_conn_is_closed(conn)) return -1;
        }
        hrpc_result result;
        while (hrpc_conn_next_completed(conn, &result)) {
            int index = (int)(intptr_t)result.user_data;
            if (result.code != HRPC_STATUS_OK) return -1;
            latencies[index] = now_ns() - started[index];
            done++;
            hrpc_result_clear(&result);
        }
    }
    free(started);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT IN_FLIGHT CALLS\n", argv[0]);
        return 2;
    }
    int in_flight = atoi(argv[3]), calls = atoi(argv[4]);
    hrpc_conn *conn;
    if (hrpc_connect(argv[1], (uint16_t)atoi(argv[2]), NULL, 5000, &conn) != HRPC_OK) {
        fprintf(stderr, "cannot connect\n");
        hrpc_conn_free(conn);
        return 1;
    }
    uint64_t *latencies = calloc((size_t)calls, sizeof *latencies);
    if (run(conn, in_flight, calls / 10 + 1, latencies) != 0) return 1; /* warm-up */
    uint64_t start = now_ns();
    if (run(conn, in_flight, calls, latencies) != 0) {
        fprintf(stderr, "run failed: %s\n", hrpc_conn_error(conn));
        return 1;
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    qsort(latencies, (size_t)calls, sizeof *latencies, compare_u64);
    printf("in_flight=%d calls=%d calls/s=%.0f p50=%.1fus p99=%.1fus\n", in_flight, calls, calls / seconds,
           latencies[calls / 2] / 1e3, latencies[(size_t)calls * 99 / 100] / 1e3);
    free(latencies);
    hrpc_close(conn, 1000);
    return 0;
}
