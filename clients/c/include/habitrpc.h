/* habitrpc.h: a C client for the HabitRPC wire protocol, version 1 (docs/PROTOCOL.md).
 *
 * Two layers share one implementation:
 *  - the non-blocking core (hrpc_conn_*): a connection state machine that a caller's event loop drives.
 *    It owns a non-blocking socket (or none, for tests: hrpc_conn_new + hrpc_conn_feed), queues output,
 *    matches RESPONSE frames to calls by call id and hands back completed calls one at a time;
 *  - the blocking API (hrpc_connect, hrpc_call, hrpc_close): thin loops over the core with poll().
 *
 * Nothing here is thread-safe: one connection belongs to one thread at a time.
 * Every function that can fail returns an hrpc_err (0 = success); hrpc_conn_error() then says why.
 */
#ifndef HABITRPC_H
#define HABITRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library-level failures, distinct from a call's status code. */
typedef enum {
    HRPC_OK = 0,
    HRPC_ERR_INVALID_ARGUMENT = -1, /* a bad argument from the caller (bad metadata key, NULL, ...) */
    HRPC_ERR_NO_MEMORY = -2,
    HRPC_ERR_IO = -3,               /* socket error; errno-based text in hrpc_conn_error() */
    HRPC_ERR_CLOSED = -4,           /* the connection is closed (GOAWAY, EOF, protocol error, close) */
    HRPC_ERR_PROTOCOL = -5,         /* the peer broke the protocol; the connection sent GOAWAY and closed */
    HRPC_ERR_TIMEOUT = -6,          /* a blocking wait ran out of time */
} hrpc_err;

/* gRPC status codes with gRPC's numbers (PROTOCOL.md §7). */
typedef enum {
    HRPC_STATUS_OK = 0,
    HRPC_STATUS_CANCELLED = 1,
    HRPC_STATUS_UNKNOWN = 2,
    HRPC_STATUS_INVALID_ARGUMENT = 3,
    HRPC_STATUS_DEADLINE_EXCEEDED = 4,
    HRPC_STATUS_NOT_FOUND = 5,
    HRPC_STATUS_ALREADY_EXISTS = 6,
    HRPC_STATUS_PERMISSION_DENIED = 7,
    HRPC_STATUS_RESOURCE_EXHAUSTED = 8,
    HRPC_STATUS_FAILED_PRECONDITION = 9,
    HRPC_STATUS_ABORTED = 10,
    HRPC_STATUS_OUT_OF_RANGE = 11,
    HRPC_STATUS_UNIMPLEMENTED = 12,
    HRPC_STATUS_INTERNAL = 13,
    HRPC_STATUS_UNAVAILABLE = 14,
    HRPC_STATUS_DATA_LOSS = 15,
    HRPC_STATUS_UNAUTHENTICATED = 16,
} hrpc_status_code;

/* The upper-case gRPC name of a status code ("DEADLINE_EXCEEDED"); "UNKNOWN" above 16. */
const char *hrpc_status_name(int code);

/* One metadata entry (PROTOCOL.md §5.6). Keys are lower-case ASCII; text values must be UTF-8. */
typedef struct {
    const char *key;
    const uint8_t *value;
    size_t value_len;
    bool is_binary;
} hrpc_metadata;

/* Per-call options; zero-initialise and set what you need. */
typedef struct {
    /* Relative deadline in milliseconds; 0 = none. Sent as timeout_us and enforced locally too. */
    uint32_t timeout_ms;
    /* The same in microseconds, for budgets below a millisecond; when non-zero it is used instead. */
    uint64_t timeout_us;
    /* Request metadata, e.g. {"authorization", "Bearer <token>"} (see hrpc_bearer below). */
    const hrpc_metadata *metadata;
    size_t metadata_count;
    /* Send the method name beside its FNV-1a id (only needed when the server may not know the id). */
    bool send_method_name;
    /* Handed back unchanged in the call's hrpc_result. */
    void *user_data;
} hrpc_call_options;

/* Connection options; zero-initialise for the defaults. */
typedef struct {
    /* Largest frame `length` accepted from the server; 0 = 4 MiB. Clamped to 16 KiB .. 2^31-1. */
    uint32_t max_frame_size;
    /* Largest trailing metadata block accepted; 0 = 8192. */
    uint32_t max_metadata_size;
} hrpc_conn_options;

/* A completed call. Owns its strings and buffers: release with hrpc_result_clear. */
typedef struct {
    uint32_t call_id;
    void *user_data;
    int code;                 /* status code 0..16 (codes above 16 are reported as UNKNOWN) */
    int wire_code;            /* the code byte as received, or the local code for a local failure */
    bool not_processed;       /* the server did not run the handler: safe to retry */
    bool is_local;            /* the client produced this status (deadline, drain, close, limit) */
    char *status_message;     /* NUL-terminated UTF-8 (invalid sequences replaced by U+FFFD); never NULL */
    uint8_t *message;         /* the response message bytes; NULL when the RESPONSE had none */
    size_t message_len;
    bool has_message;
    hrpc_metadata *trailers;  /* trailing metadata (keys and values owned by the result) */
    size_t trailer_count;
} hrpc_result;

/* Releases what a result owns and zeroes it. Safe on a zeroed result. */
void hrpc_result_clear(hrpc_result *result);

/* The FNV-1a id of a full method name "/pkg.Service/Method" (PROTOCOL.md §5.5). */
uint32_t hrpc_method_id(const char *full_name);

typedef struct hrpc_conn hrpc_conn;

/* ---- non-blocking core ------------------------------------------------------------------------- */

/* A connection without a socket: the caller moves bytes with hrpc_conn_feed and hrpc_conn_output.
 * The preface and SETTINGS are queued at once. */
hrpc_err hrpc_conn_new(const hrpc_conn_options *options, hrpc_conn **out);

/* Starts a non-blocking TCP connection to host:port (numeric or resolvable name) and queues the preface.
 * Drive it with hrpc_conn_fd / hrpc_conn_wants_write / hrpc_conn_on_readable / hrpc_conn_on_writable. */
hrpc_err hrpc_conn_open(const char *host, uint16_t port, const hrpc_conn_options *options, hrpc_conn **out);

/* Frees the connection (closing its socket if it owns one). Calls still open are dropped silently. */
void hrpc_conn_free(hrpc_conn *conn);

/* The socket, or -1 for a socketless connection. Poll it for POLLIN, plus POLLOUT when wants_write. */
int hrpc_conn_fd(const hrpc_conn *conn);
bool hrpc_conn_wants_write(const hrpc_conn *conn);

/* Reads what the socket has (non-blocking) and processes it. */
hrpc_err hrpc_conn_on_readable(hrpc_conn *conn);
/* Writes queued output (non-blocking); also completes the TCP connect. */
hrpc_err hrpc_conn_on_writable(hrpc_conn *conn);

/* Processes bytes received by the caller (socketless use, or a caller doing its own reads).
 * len == 0 means end of stream. */
hrpc_err hrpc_conn_feed(hrpc_conn *conn, const uint8_t *bytes, size_t len);
/* Queued output bytes not yet written, and how many were written. */
const uint8_t *hrpc_conn_output(const hrpc_conn *conn, size_t *len);
void hrpc_conn_consume_output(hrpc_conn *conn, size_t len);

/* Completes calls whose local deadline passed (DEADLINE_EXCEEDED, CANCEL sent). Call it when
 * hrpc_conn_next_timer_ms says so. */
void hrpc_conn_process_timers(hrpc_conn *conn);
/* Milliseconds until the next local deadline, or -1 when none (use as a poll() timeout). */
int hrpc_conn_next_timer_ms(const hrpc_conn *conn);

/* Starts a unary call: queues a REQUEST with END_STREAM. On success *call_id is its id. A call refused
 * locally (draining, too large) still completes with a status, through hrpc_conn_next_completed. */
hrpc_err hrpc_conn_start_call(hrpc_conn *conn, const char *method, const uint8_t *request, size_t request_len,
                              const hrpc_call_options *options, uint32_t *call_id);
/* The same with a protobuf-c message, packed straight into the output queue. */
hrpc_err hrpc_conn_start_message_call(hrpc_conn *conn, const char *method, const ProtobufCMessage *request,
                                      const hrpc_call_options *options, uint32_t *call_id);

/* True when at least one completed call waits to be popped. */
bool hrpc_conn_has_completed(const hrpc_conn *conn);
/* Pops the oldest completed call into *out; returns false when none is ready. */
bool hrpc_conn_next_completed(hrpc_conn *conn, hrpc_result *out);
/* Pops the completed call with this id, if it has completed. */
bool hrpc_conn_take_completed(hrpc_conn *conn, uint32_t call_id, hrpc_result *out);

/* Queues a PING with 8 opaque bytes; PONGs are counted by hrpc_conn_pongs_received. */
hrpc_err hrpc_conn_send_ping(hrpc_conn *conn, const uint8_t data[8]);
uint64_t hrpc_conn_pongs_received(const hrpc_conn *conn);
/* PINGs received from the server (each answered with a PONG). */
uint64_t hrpc_conn_pings_answered(const hrpc_conn *conn);

/* True once the server's SETTINGS arrived. */
bool hrpc_conn_is_ready(const hrpc_conn *conn);
/* True after the server sent DRAIN: new calls are refused with UNAVAILABLE + not processed. */
bool hrpc_conn_is_draining(const hrpc_conn *conn);
/* True once the connection is closed for good (GOAWAY, EOF, protocol error, local close). */
bool hrpc_conn_is_closed(const hrpc_conn *conn);
/* Calls started whose result has not been produced yet. */
size_t hrpc_conn_open_calls(const hrpc_conn *conn);
/* The server's announced MAX_FRAME_SIZE and MAX_CONCURRENT_CALLS (defaults until SETTINGS arrives). */
uint32_t hrpc_conn_peer_max_frame_size(const hrpc_conn *conn);
uint32_t hrpc_conn_peer_max_concurrent_calls(const hrpc_conn *conn);
/* The GOAWAY error received (or sent), or -1 if none. */
int64_t hrpc_conn_goaway_error(const hrpc_conn *conn);
/* Why the connection failed or closed, for humans; "" while healthy. */
const char *hrpc_conn_error(const hrpc_conn *conn);

/* Begins a clean close: open calls complete locally with CANCELLED, a GOAWAY NO_ERROR is queued, and
 * the connection is closed once the output is written (hrpc_conn_wants_write turns false). */
void hrpc_conn_shutdown(hrpc_conn *conn);

/* ---- blocking API (loops over the core above) ---------------------------------------------------- */

/* Connects and waits until the server's SETTINGS arrive, at most timeout_ms. On failure *out is NULL, or
 * the failed connection: read hrpc_conn_error(*out), then hrpc_conn_free(*out). */
hrpc_err hrpc_connect(const char *host, uint16_t port, const hrpc_conn_options *options, uint32_t timeout_ms,
                      hrpc_conn **out);
/* Drives the connection until at least one call completes or timeout_ms passes (-1 = no limit). */
hrpc_err hrpc_conn_wait(hrpc_conn *conn, int timeout_ms);
/* Makes a unary call and waits for its result (options->timeout_ms bounds the wait; 0 = no limit).
 * HRPC_OK means *result holds a status (which may be an error status). */
hrpc_err hrpc_call(hrpc_conn *conn, const char *method, const uint8_t *request, size_t request_len,
                   const hrpc_call_options *options, hrpc_result *result);
/* The same with protobuf-c messages: on status OK with a message, *response is unpacked with
 * response_descriptor (free it with protobuf_c_message_free_unpacked); otherwise *response is NULL. */
hrpc_err hrpc_call_message(hrpc_conn *conn, const char *method, const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_descriptor, const hrpc_call_options *options,
                           ProtobufCMessage **response, hrpc_result *result);
/* Closes cleanly (hrpc_conn_shutdown, flush for at most timeout_ms) and frees the connection. */
void hrpc_close(hrpc_conn *conn, uint32_t timeout_ms);

/* Fills an "authorization: Bearer <token>" entry; `storage` (>= strlen(token) + 8 bytes) holds the value. */
hrpc_err hrpc_bearer(const char *token, char *storage, size_t storage_len, hrpc_metadata *entry);

#ifdef __cplusplus
}
#endif

#endif
