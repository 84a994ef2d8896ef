"""The Python reference client against the real habit-server: the user journey with the values docs/RULES.md
gives, and the error cases with their exact status codes (PROTOCOL.md §7, §7.1, §8)."""
import time

import pytest

from habitrpc import RpcError

UNAUTHENTICATED, UNIMPLEMENTED, DEADLINE_EXCEEDED = 16, 12, 4
GET_CHARACTER = "/habit.v1.CharacterService/GetCharacter"


def bearer(token):
    return [("authorization", f"Bearer {token}")]


def test_journey_create_complete_read_character(client, habit_server, messages):
    auth = bearer(habit_server[2])
    easy = messages.enum("Difficulty", "DIFFICULTY_EASY")
    request = messages.CreateHabitRequest(name="Read 10 pages", difficulty=easy)
    request.schedule.every_day.SetInParent()
    habit = client.unary_message("/habit.v1.HabitService/CreateHabit", request, messages.CreateHabitResponse,
                                 metadata=auth, timeout=10).habit
    assert habit.name == "Read 10 pages" and habit.id

    complete = messages.CompleteHabitRequest(habit_id=habit.id, idempotency_key="python-journey")
    done, replayed = (client.unary_message("/habit.v1.CompletionService/CompleteHabit", complete,
                                           messages.CompleteHabitResponse, metadata=auth, timeout=10) for _ in range(2))
    # RULES.md: an easy first completion (no streak before it) gives 10 XP and 100 centi-coins.
    assert not done.replayed and (done.award.xp, done.award.coins_centi) == (10, 100)
    assert (done.streak.habit_id, done.streak.current, done.streak.best) == (habit.id, 1, 1)
    assert replayed.replayed and replayed.character.coins_centi == 100

    character = client.unary_message(GET_CHARACTER, messages.GetCharacterRequest(), messages.GetCharacterResponse,
                                     metadata=auth, timeout=10).character
    stats = character.stats
    assert (stats.level, stats.xp_in_level, stats.xp_to_next_level, stats.coins_centi) == (1, 10, 15, 100)
    assert (stats.hp_tenths, stats.max_hp_tenths, character.lifetime_xp) == (500, 500, 10)
    assert (character.streaks.habits_on_streak, character.streaks.longest_current) == (1, 1)


def test_health_needs_no_token(client, messages):
    reply = client.unary_message("/habit.v1.HealthService/Check", messages.HealthCheckRequest(),
                                 messages.HealthCheckResponse, timeout=10)
    assert reply.status == messages.enum("ServingStatus", "SERVING_STATUS_SERVING")


@pytest.mark.parametrize("token", ["none", "malformed", "foreign"])
def test_bad_token_is_unauthenticated(client, habit_server, token):
    metadata = {"none": [], "malformed": bearer("not-a-jwt"), "foreign": bearer(habit_server[3])}[token]
    with pytest.raises(RpcError) as raised:
        client.unary(GET_CHARACTER, b"", metadata=metadata, timeout=10)
    assert raised.value.code == UNAUTHENTICATED and raised.value.not_processed


def test_unknown_method_is_unimplemented(client, habit_server):
    with pytest.raises(RpcError) as raised:
        client.unary("/habit.v1.HabitService/NoSuchMethod", b"", metadata=bearer(habit_server[2]), timeout=10)
    assert raised.value.code == UNIMPLEMENTED and raised.value.not_processed


def test_server_enforces_the_deadline(client, habit_server):
    """A 1 µs budget has run out before the handler's first database round trip can finish; waiting with a
    generous local deadline instead of the 1 µs one shows the server's own answer."""
    call_id, call = client._open(GET_CHARACTER, b"", True, 1e-6, bearer(habit_server[2]))
    kind, error = client._next(call_id, call, time.monotonic() + 30)
    assert kind == "error" and error.code == DEADLINE_EXCEEDED and "client" not in error.message


def test_client_reports_an_expired_deadline(client, habit_server):
    with pytest.raises(RpcError) as raised:
        client.unary(GET_CHARACTER, b"", metadata=bearer(habit_server[2]), timeout=1e-6)
    assert raised.value.code == DEADLINE_EXCEEDED
    assert client.unary(GET_CHARACTER, b"", metadata=bearer(habit_server[2]), timeout=10) is not None
