/* habit_journey: creates a habit, completes it and prints the character, over HabitRPC from C.
 * Usage: habit_journey HOST PORT TOKEN   (TOKEN is sent as "authorization: Bearer TOKEN"). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "habit/v1/character.pb-c.h"
#include "habit/v1/completion.pb-c.h"
#include "habit/v1/habit.pb-c.h"
#include "habitrpc.h"

/* Makes one typed call; prints the status and returns false unless it is OK with a response. */
static bool call(hrpc_conn *conn, const char *method, const ProtobufCMessage *request,
                 const ProtobufCMessageDescriptor *descriptor, const hrpc_call_options *options, ProtobufCMessage **response) {
    hrpc_result result;
    hrpc_err err = hrpc_call_message(conn, method, request, descriptor, options, response, &result);
    if (err != HRPC_OK) {
        fprintf(stderr, "%s: client error %d: %s\n", method, err, hrpc_conn_error(conn));
        return false;
    }
    bool ok = result.code == HRPC_STATUS_OK && *response != NULL;
    if (!ok) fprintf(stderr, "%s: %s: %s\n", method, hrpc_status_name(result.code), result.status_message);
    hrpc_result_clear(&result);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s HOST PORT TOKEN\n", argv[0]);
        return 2;
    }
    hrpc_conn *conn;
    if (hrpc_connect(argv[1], (uint16_t)atoi(argv[2]), NULL, 5000, &conn) != HRPC_OK) {
        fprintf(stderr, "cannot connect to %s:%s: %s\n", argv[1], argv[2], conn != NULL ? hrpc_conn_error(conn) : "no socket");
        hrpc_conn_free(conn);
        return 1;
    }
    char token_storage[512];
    hrpc_metadata token;
    if (hrpc_bearer(argv[3], token_storage, sizeof token_storage, &token) != HRPC_OK) {
        fprintf(stderr, "token too long\n");
        hrpc_close(conn, 1000);
        return 2;
    }
    hrpc_call_options options = {.timeout_ms = 5000, .metadata = &token, .metadata_count = 1};
    char key[64];
    snprintf(key, sizeof key, "c-example-%ld", (long)time(NULL));
    int status = 1;

    Habit__V1__Schedule__EveryDay every_day = HABIT__V1__SCHEDULE__EVERY_DAY__INIT;
    Habit__V1__Schedule schedule = HABIT__V1__SCHEDULE__INIT;
    schedule.kind_case = HABIT__V1__SCHEDULE__KIND_EVERY_DAY;
    schedule.every_day = &every_day;
    Habit__V1__CreateHabitRequest create = HABIT__V1__CREATE_HABIT_REQUEST__INIT;
    create.name = "Drink water";
    create.difficulty = HABIT__V1__DIFFICULTY__DIFFICULTY_EASY;
    create.schedule = &schedule;
    create.idempotency_key = key;
    ProtobufCMessage *created = NULL, *completed = NULL, *character = NULL;
    if (!call(conn, "/habit.v1.HabitService/CreateHabit", &create.base, &habit__v1__create_habit_response__descriptor,
              &options, &created)) goto done;
    Habit__V1__Habit *habit = ((Habit__V1__CreateHabitResponse *)created)->habit;
    if (habit == NULL) goto done;
    printf("created habit %s (%s)\n", habit->id, habit->name);

    Habit__V1__CompleteHabitRequest complete = HABIT__V1__COMPLETE_HABIT_REQUEST__INIT;
    complete.habit_id = habit->id;
    complete.idempotency_key = key;
    if (!call(conn, "/habit.v1.CompletionService/CompleteHabit", &complete.base,
              &habit__v1__complete_habit_response__descriptor, &options, &completed)) goto done;
    printf("completed it%s\n", ((Habit__V1__CompleteHabitResponse *)completed)->replayed ? " (replayed)" : "");

    Habit__V1__GetCharacterRequest get = HABIT__V1__GET_CHARACTER_REQUEST__INIT;
    if (!call(conn, "/habit.v1.CharacterService/GetCharacter", &get.base, &habit__v1__get_character_response__descriptor,
              &options, &character)) goto done;
    Habit__V1__Character *c = ((Habit__V1__GetCharacterResponse *)character)->character;
    if (c == NULL || c->stats == NULL) goto done;
    printf("character %s: level %d, xp %lld (+%lld to next), coins %lld.%02lld, hp %d.%d/%d.%d\n", c->display_name,
           c->stats->level, (long long)c->stats->xp_in_level, (long long)c->stats->xp_to_next_level,
           (long long)(c->stats->coins_centi / 100), (long long)(c->stats->coins_centi % 100), c->stats->hp_tenths / 10,
           c->stats->hp_tenths % 10, c->stats->max_hp_tenths / 10, c->stats->max_hp_tenths % 10);
    status = 0;
done:
    if (created != NULL) protobuf_c_message_free_unpacked(created, NULL);
    if (completed != NULL) protobuf_c_message_free_unpacked(completed, NULL);
    if (character != NULL) protobuf_c_message_free_unpacked(character, NULL);
    hrpc_close(conn, 1000);
    return status;
}
