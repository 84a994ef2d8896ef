/* bench_unary: no-op unary calls (an empty message to test.Echo/Unary, or METHOD) on one connection with a fixed
 * number in flight, driven by the non-blocking API. Closed loop like Benchmarks/Sources/RPCBench's client, and
 * measured the same way: 2 s of warm-up, then SECONDS; a call counts when it starts after the warm-up and ends
 * in time. Prints one RESULT line in RPCBench's format. Not a test: clients/c/bench/compare.sh runs it.
 * Usage: bench_unary HOST PORT IN_FLIGHT SECONDS [METHOD] */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "habitrpc.h"

enum { WARMUP_NS = 2000000000 };

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Round trips (ns) of the calls measured, and every call completed, warm-up included. */
typedef struct {
    uint64_t *latencies;
    size_t count, capacity;
    uint64_t completed;
} samples;

static int record(samples *s, uint64_t latency) {
    if (s->count == s->capacity) {
        size_t capacity = s->capacity == 0 ? 1u << 16 : s->capacity * 2;
        uint64_t *grown = realloc(s->latencies, capacity * sizeof *grown);
        if (grown == NULL) return -1;
        s->latencies = grown;
        s->capacity = capacity;
    }
    s->latencies[s->count++] = latency;
    return 0;
}

/* Keeps `in_flight` calls open until `end`, then lets the open ones finish. The start time travels in user_data. */
static int run(hrpc_conn *conn, const char *method, int in_flight, uint64_t warmup_end, uint64_t end, samples *out) {
    int open = 0;
    for (;;) {
        uint64_t now = now_ns();
        while (now < end && open < in_flight) {
            hrpc_call_options options = {.user_data = (void *)(uintptr_t)now};
            uint32_t id;
            if (hrpc_conn_start_call(conn, method, NULL, 0, &options, &id) != HRPC_OK) return -1;
            open++;
        }
        if (open == 0) return 0;
        struct pollfd pfd = {.fd = hrpc_conn_fd(conn), .events = POLLIN};
        if (hrpc_conn_wants_write(conn)) hrpc_conn_on_writable(conn);
        if (hrpc_conn_wants_write(conn)) pfd.events |= POLLOUT;
        if (poll(&pfd, 1, 5000) <= 0) return -1;
        if (pfd.revents & POLLOUT) hrpc_conn_on_writable(conn);
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (hrpc_conn_on_readable(conn) != HRPC_OK && hrpc_conn_is_closed(conn)) return -1;
        }
        hrpc_result result;
        uint64_t finished = now_ns();
        while (hrpc_conn_next_completed(conn, &result)) {
            uint64_t started = (uint64_t)(uintptr_t)result.user_data;
            bool ok = result.code == HRPC_STATUS_OK;
            hrpc_result_clear(&result);
            if (!ok) return -1;
            open--;
            out->completed++;
            if (started >= warmup_end && finished <= end && record(out, finished - started) != 0) return -1;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT IN_FLIGHT SECONDS [METHOD]\n", argv[0]);
        return 2;
    }
    int in_flight = atoi(argv[3]);
    double seconds = atof(argv[4]);
    const char *method = argc == 6 ? argv[5] : "/test.Echo/Unary";
    if (in_flight < 1 || seconds <= 0) {
        fprintf(stderr, "IN_FLIGHT and SECONDS must be positive\n");
        return 2;
    }
    double cpu_start = cpu_seconds();
    hrpc_conn *conn;
    if (hrpc_connect(argv[1], (uint16_t)atoi(argv[2]), NULL, 5000, &conn) != HRPC_OK) {
        fprintf(stderr, "cannot connect: %s\n", conn != NULL ? hrpc_conn_error(conn) : "no socket");
        hrpc_conn_free(conn);
        return 1;
    }
    samples measured = {0};
    uint64_t warmup_end = now_ns() + WARMUP_NS;
    if (run(conn, method, in_flight, warmup_end, warmup_end + (uint64_t)(seconds * 1e9), &measured) != 0) {
        fprintf(stderr, "run failed: %s\n", hrpc_conn_error(conn));
        return 1;
    }
    qsort(measured.latencies, measured.count, sizeof *measured.latencies, compare_u64);
    double p50 = 0, p99 = 0;
    if (measured.count > 0) {
        size_t i50 = (size_t)((double)measured.count * 0.5), i99 = (size_t)((double)measured.count * 0.99);
        p50 = (double)measured.latencies[i50 < measured.count ? i50 : measured.count - 1] / 1e3;
        p99 = (double)measured.latencies[i99 < measured.count ? i99 : measured.count - 1] / 1e3;
    }
    hrpc_close(conn, 1000);
    double cpu = cpu_seconds() - cpu_start;
    printf("RESULT c-client-unary conns=1 inflight=%d calls=%zu rate_per_s=%.0f p50_us=%.1f p99_us=%.1f "
           "total_incl_warmup=%llu client_cpu_us_per_call=%.2f\n",
           in_flight, measured.count, (double)measured.count / seconds, p50, p99,
           (unsigned long long)measured.completed,
           measured.completed == 0 ? 0.0 : cpu / (double)measured.completed * 1e6);
    free(measured.latencies);
    return 0;
}
