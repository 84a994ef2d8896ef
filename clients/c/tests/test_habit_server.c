/* The C client against the real habit-server (scripts/test.d/60-clients-against-habit-server.sh starts it on
 * PostgreSQL + Redis): the user journey with the values docs/RULES.md gives, and the error cases, each with its
 * exact status code: bad or foreign token UNAUTHENTICATED, unknown method UNIMPLEMENTED, deadline exceeded
 * (enforced by the server, and by the client) DEADLINE_EXCEEDED. Prints "N passed, M failed".
 * Usage: test_habit_server HOST PORT TOKEN FOREIGN_TOKEN
 *   TOKEN: a valid token for a user with no habits yet; FOREIGN_TOKEN: well formed, signed with another secret. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "habit/v1/character.pb-c.h"
#include "habit/v1/completion.pb-c.h"
#include "habit/v1/habit.pb-c.h"
#include "habit/v1/health.pb-c.h"
#include "habitrpc.h"

#define GET_CHARACTER "/habit.v1.CharacterService/GetCharacter"

static hrpc_conn *conn;

/* One blocking typed call; *result keeps the status (clear it), *response the message on OK. */
static ProtobufCMessage *call(const char *method, const ProtobufCMessage *request, const ProtobufCMessageDescriptor *descriptor,
                              const hrpc_call_options *options, hrpc_result *result) {
    ProtobufCMessage *response = NULL;
    if (hrpc_call_message(conn, method, request, descriptor, options, &response, result) != HRPC_OK) {
        printf("%s: client error: %s\n", method, hrpc_conn_error(conn));
        memset(result, 0, sizeof *result);
        result->code = -1;
    } else if (result->code != HRPC_STATUS_OK) {
        printf("%s: %s: %s\n", method, hrpc_status_name(result->code), result->status_message);
    }
    return response;
}

/* Waits for the socket once (at most 10 s) and moves bytes both ways, never running the local deadline
 * timers; false when nothing happened or the connection closed. */
static bool drive_socket(void) {
    struct pollfd pfd = {.fd = hrpc_conn_fd(conn), .events = POLLIN};
    if (hrpc_conn_wants_write(conn)) pfd.events |= POLLOUT;
    if (hrpc_conn_is_closed(conn) || poll(&pfd, 1, 10000) <= 0) return false;
    if (pfd.revents & POLLOUT) hrpc_conn_on_writable(conn);
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) hrpc_conn_on_readable(conn);
    return !hrpc_conn_is_closed(conn);
}

/* Drives the socket only until call `id` completes: its status is whatever the server answered. */
static bool wait_for_server(uint32_t id, hrpc_result *result) {
    while (!hrpc_conn_take_completed(conn, id, result)) {
        if (!drive_socket()) return false;
    }
    return true;
}

/* Create an easy daily habit, complete it (and retry the completion), read the character: a first completion
 * of an easy habit with no streak before it gives 10 XP and 100 centi-coins (RULES.md), streak 1. */
static void test_journey(const hrpc_call_options *auth) {
    Habit__V1__Schedule__EveryDay every_day = HABIT__V1__SCHEDULE__EVERY_DAY__INIT;
    Habit__V1__Schedule schedule = HABIT__V1__SCHEDULE__INIT;
    schedule.kind_case = HABIT__V1__SCHEDULE__KIND_EVERY_DAY;
    schedule.every_day = &every_day;
    Habit__V1__CreateHabitRequest create = HABIT__V1__CREATE_HABIT_REQUEST__INIT;
    create.name = "Drink water";
    create.difficulty = HABIT__V1__DIFFICULTY__DIFFICULTY_EASY;
    create.schedule = &schedule;
    hrpc_result result;
    Habit__V1__CreateHabitResponse *created = (Habit__V1__CreateHabitResponse *)call(
        "/habit.v1.HabitService/CreateHabit", &create.base, &habit__v1__create_habit_response__descriptor, auth, &result);
    hrpc_result_clear(&result);
    CHECK(created != NULL && created->habit != NULL && strcmp(created->habit->name, "Drink water") == 0 &&
              created->habit->id[0] != '\0', "CreateHabit returns the habit with an id");
    if (created == NULL || created->habit == NULL) return;

    Habit__V1__CompleteHabitRequest complete = HABIT__V1__COMPLETE_HABIT_REQUEST__INIT;
    complete.habit_id = created->habit->id;
    complete.idempotency_key = "c-client-journey";
    Habit__V1__CompleteHabitResponse *done[2];
    for (int attempt = 0; attempt < 2; attempt++) {
        done[attempt] = (Habit__V1__CompleteHabitResponse *)call("/habit.v1.CompletionService/CompleteHabit", &complete.base,
                                                                  &habit__v1__complete_habit_response__descriptor, auth, &result);
        hrpc_result_clear(&result);
    }
    CHECK(done[0] != NULL && !done[0]->replayed && done[0]->award != NULL && done[0]->award->xp == 10 &&
              done[0]->award->coins_centi == 100, "CompleteHabit awards 10 XP and 100 centi-coins");
    CHECK(done[0] != NULL && done[0]->streak != NULL && done[0]->streak->current == 1 && done[0]->streak->best == 1 &&
              strcmp(done[0]->streak->habit_id, created->habit->id) == 0, "the habit's streak is 1");
    CHECK(done[1] != NULL && done[1]->replayed && done[1]->character != NULL && done[1]->character->coins_centi == 100,
          "the same idempotency key replays the completion without a second award");

    Habit__V1__GetCharacterRequest get = HABIT__V1__GET_CHARACTER_REQUEST__INIT;
    Habit__V1__GetCharacterResponse *got = (Habit__V1__GetCharacterResponse *)call(
        GET_CHARACTER, &get.base, &habit__v1__get_character_response__descriptor, auth, &result);
    hrpc_result_clear(&result);
    Habit__V1__Character *c = got != NULL ? got->character : NULL;
    CHECK(c != NULL && c->stats != NULL && c->stats->level == 1 && c->stats->xp_in_level == 10 &&
              c->stats->xp_to_next_level == 15 && c->stats->coins_centi == 100 && c->stats->hp_tenths == 500 &&
              c->stats->max_hp_tenths == 500 && c->lifetime_xp == 10,
          "GetCharacter: level 1, 10 of 25 XP, 100 centi-coins, full HP");
    CHECK(c != NULL && c->streaks != NULL && c->streaks->habits_on_streak == 1 && c->streaks->longest_current == 1,
          "GetCharacter: one habit on a streak of 1");
    for (int attempt = 0; attempt < 2; attempt++) {
        if (done[attempt] != NULL) protobuf_c_message_free_unpacked(&done[attempt]->base, NULL);
    }
    if (got != NULL) protobuf_c_message_free_unpacked(&got->base, NULL);
    protobuf_c_message_free_unpacked(&created->base, NULL);
}

/* Health needs no token; GetCharacter without one, with garbage or with another server's token is refused
 * UNAUTHENTICATED before any work (NOT_PROCESSED, PROTOCOL.md §7.1). */
static void test_auth(const char *foreign_token) {
    hrpc_call_options none = {.timeout_ms = 10000};
    Habit__V1__HealthCheckRequest health = HABIT__V1__HEALTH_CHECK_REQUEST__INIT;
    hrpc_result result;
    Habit__V1__HealthCheckResponse *serving = (Habit__V1__HealthCheckResponse *)call(
        "/habit.v1.HealthService/Check", &health.base, &habit__v1__health_check_response__descriptor, &none, &result);
    CHECK(serving != NULL && serving->status == HABIT__V1__SERVING_STATUS__SERVING_STATUS_SERVING,
          "HealthService/Check without a token: SERVING");
    if (serving != NULL) protobuf_c_message_free_unpacked(&serving->base, NULL);
    hrpc_result_clear(&result);

    const char *bad_tokens[] = {NULL, "not-a-jwt", foreign_token};
    const char *what[] = {"no token: UNAUTHENTICATED + not processed", "a malformed token: UNAUTHENTICATED + not processed",
                          "a token signed with another secret: UNAUTHENTICATED + not processed"};
    for (size_t i = 0; i < 3; i++) {
        char storage[2048];
        hrpc_metadata entry;
        hrpc_call_options options = {.timeout_ms = 10000};
        if (bad_tokens[i] != NULL && hrpc_bearer(bad_tokens[i], storage, sizeof storage, &entry) == HRPC_OK) {
            options.metadata = &entry;
            options.metadata_count = 1;
        }
        Habit__V1__GetCharacterRequest get = HABIT__V1__GET_CHARACTER_REQUEST__INIT;
        ProtobufCMessage *response = call(GET_CHARACTER, &get.base, &habit__v1__get_character_response__descriptor, &options, &result);
        CHECK(response == NULL && result.code == HRPC_STATUS_UNAUTHENTICATED && result.not_processed && !result.is_local, what[i]);
        hrpc_result_clear(&result);
    }
}

static void test_unknown_method(const hrpc_call_options *auth) {
    hrpc_result result;
    CHECK(hrpc_call(conn, "/habit.v1.HabitService/NoSuchMethod", NULL, 0, auth, &result) == HRPC_OK &&
              result.code == HRPC_STATUS_UNIMPLEMENTED && result.not_processed && !result.is_local,
          "an unknown method: UNIMPLEMENTED + not processed");
    hrpc_result_clear(&result);
}

/* A budget of 1 µs has run out before the handler's first database round trip can finish, so the server
 * answers DEADLINE_EXCEEDED (PROTOCOL.md §8); the test drives the socket only, so the status is the server's.
 * With a 1 ms budget and the socket left alone until the local timer is due, the client reports
 * DEADLINE_EXCEEDED itself and sends CANCEL; the server's late RESPONSE is read and dropped by later calls. */
static void test_deadlines(const hrpc_call_options *auth) {
    Habit__V1__GetCharacterRequest get = HABIT__V1__GET_CHARACTER_REQUEST__INIT;
    hrpc_call_options tiny = *auth;
    tiny.timeout_ms = 0;
    tiny.timeout_us = 1;
    uint32_t id;
    hrpc_result result = {0};
    CHECK(hrpc_conn_start_message_call(conn, GET_CHARACTER, &get.base, &tiny, &id) == HRPC_OK && wait_for_server(id, &result) &&
              result.code == HRPC_STATUS_DEADLINE_EXCEEDED && !result.is_local,
          "a 1 us deadline: DEADLINE_EXCEEDED from the server");
    hrpc_result_clear(&result);

    hrpc_call_options short_budget = *auth;
    short_budget.timeout_ms = 1;
    bool started = hrpc_conn_start_message_call(conn, GET_CHARACTER, &get.base, &short_budget, &id) == HRPC_OK &&
                   hrpc_conn_on_writable(conn) == HRPC_OK && !hrpc_conn_wants_write(conn);
    for (int due; started && (due = hrpc_conn_next_timer_ms(conn)) > 0;) poll(NULL, 0, due);
    hrpc_conn_process_timers(conn);
    CHECK(started && hrpc_conn_take_completed(conn, id, &result) && result.code == HRPC_STATUS_DEADLINE_EXCEEDED && result.is_local,
          "a 1 ms deadline reached before reading: DEADLINE_EXCEEDED from the client");
    hrpc_result_clear(&result);
    ProtobufCMessage *after = call(GET_CHARACTER, &get.base, &habit__v1__get_character_response__descriptor, auth, &result);
    CHECK(after != NULL && result.code == HRPC_STATUS_OK, "the connection serves calls after both deadlines");
    if (after != NULL) protobuf_c_message_free_unpacked(after, NULL);
    hrpc_result_clear(&result);
}

/* 64 calls started at once are pipelined on the one connection and each result is matched to its call.
 * HealthService/Check reads no database, so the server's store deadline cannot fail calls on a loaded machine. */
static void test_pipelined(void) {
    enum { CALLS = 64 };
    Habit__V1__HealthCheckRequest health = HABIT__V1__HEALTH_CHECK_REQUEST__INIT;
    uint32_t ids[CALLS];
    int started = 0, matched = 0;
    for (int i = 0; i < CALLS; i++) {
        hrpc_call_options options = {.timeout_ms = 30000, .user_data = &ids[i]};
        if (hrpc_conn_start_message_call(conn, "/habit.v1.HealthService/Check", &health.base, &options, &ids[i]) == HRPC_OK) started++;
    }
    hrpc_result result;
    for (int done = 0; done < started;) {
        if (!hrpc_conn_next_completed(conn, &result)) {
            if (hrpc_conn_wait(conn, 30000) != HRPC_OK) break;
            continue;
        }
        done++;
        if (result.code == HRPC_STATUS_OK && result.user_data != NULL && *(uint32_t *)result.user_data == result.call_id) matched++;
        hrpc_result_clear(&result);
    }
    CHECK(started == CALLS && matched == CALLS, "64 pipelined HealthService/Check calls all succeed, each matched to its call");
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s HOST PORT TOKEN FOREIGN_TOKEN\n", argv[0]);
        return 2;
    }
    if (hrpc_connect(argv[1], (uint16_t)atoi(argv[2]), NULL, 10000, &conn) != HRPC_OK) {
        printf("cannot connect to %s:%s: %s\n", argv[1], argv[2], conn != NULL ? hrpc_conn_error(conn) : "no socket");
        hrpc_conn_free(conn);
        return 1;
    }
    char storage[2048];
    hrpc_metadata token;
    if (hrpc_bearer(argv[3], storage, sizeof storage, &token) != HRPC_OK) return 2;
    hrpc_call_options auth = {.timeout_ms = 10000, .metadata = &token, .metadata_count = 1};
    test_journey(&auth);
    test_auth(argv[4]);
    test_unknown_method(&auth);
    test_deadlines(&auth);
    test_pipelined();
    CHECK(!hrpc_conn_is_closed(conn) && hrpc_conn_goaway_error(conn) == -1, "no GOAWAY either way during the whole run");
    hrpc_close(conn, 5000);
    return check_report();
}
