"""The state API the add-on side reuses without HTTP, and the pure helpers behind it."""

from __future__ import annotations

import pytest

from addon.emulator import Emulator, create_app
from addon.emulator.config import load_config
from addon.emulator.exceptions import NotFoundError, UnauthorizedError, ValidationError
from addon.emulator.expand import Expand
from addon.emulator.seed import SEED_USERS
from addon.emulator.state.faults import FaultRules
from addon.emulator.state.limits import FixedWindowCounter


@pytest.fixture
def state() -> Emulator:
    """A fresh seeded emulator, no HTTP."""
    return Emulator()


def test_app_exposes_state() -> None:
    app = create_app({"EMULATOR_RATE_LIMIT": 7})
    state = app.extensions["emulator"]
    assert isinstance(state, Emulator)
    assert state.rate.limit == 7


def test_seed_matches_its_documentation(state: Emulator) -> None:
    assert state.group.id == 1
    assert state.group.name == "Emulated Group"
    assert [u["email"] for u in state.seed_info["users"]] == [u["email"] for u in SEED_USERS]
    for spec in SEED_USERS:
        assert state.check_password(spec["email"], spec["password"]) is not None
    assert state.get_room("Secret Lab").privacy == "private"
    assert sorted(state.get_room(2).members) == [1, 2]
    assert [e.shortcut for e in state.list_emoticons()] == ["allthethings", "awthanks", "shipit"]


def test_create_client_and_tokens(state: Emulator) -> None:
    oauth_id, secret = state.create_client(
        ["send_notification", "view_room"],
        group_id=1,
        room_id=1,
        name="Bot",
        descriptor={"key": "com.example.bot"},
    )
    client = state.authenticate_client(oauth_id, secret)
    assert client.key == "com.example.bot"
    assert client.room_id == 1
    token = state.issue_client_token(client, "view_room")
    assert state.authenticate(token.access_token) is token
    assert token.room_id == 1
    assert token.owner_type == "client"
    with pytest.raises(ValidationError):
        state.issue_client_token(client, ["admin_group"])
    with pytest.raises(UnauthorizedError):
        state.authenticate_client(oauth_id, "wrong")
    assert state.delete_client(oauth_id)
    with pytest.raises(UnauthorizedError, match="Invalid OAuth session"):
        state.authenticate(token.access_token)
    with pytest.raises(UnauthorizedError):
        state.authenticate_client(oauth_id, secret)


def test_create_client_validation(state: Emulator) -> None:
    with pytest.raises(ValidationError):
        state.create_client(["bogus"])
    with pytest.raises(ValidationError):
        state.create_client(["view_room"], group_id=99)
    with pytest.raises(NotFoundError):
        state.create_client(["view_room"], room_id=99)


def test_post_notification_and_user_message(state: Emulator) -> None:
    oauth_id, _ = state.create_client(["send_notification"], name="Bot", descriptor={"key": "bot"})
    note = state.post_notification("Lobby", {"message": "<b>hi</b>"}, "Bot", client_id=oauth_id)
    assert (note.type, note.from_label, note.color, note.message_format) == (
        "notification",
        "Bot",
        "yellow",
        "html",
    )
    shaped = state.shaper().message(note)
    assert shaped["notification_sender"] == {"type": "addon", "id": "bot", "client_id": oauth_id}
    said = state.post_user_message(1, "@bob", "hello @carol")
    assert said.from_user_id == 2
    assert said.mention_ids == [3]
    assert [m.id for m in state.room_history(1)] == [note.id, said.id]
    assert state.get_room(1).messages_sent == 2
    with pytest.raises(ValidationError):
        state.post_user_message(1, "@bob", "")
    with pytest.raises(NotFoundError):
        state.post_user_message(99, "@bob", "x")


def test_acting_user_for_client_tokens(state: Emulator) -> None:
    plain, _ = state.create_client(["send_message"])
    assert state.acting_user(state.issue_client_token(state.clients[plain])).id == 1
    installed, _ = state.create_client(["send_message"], installer="@carol")
    assert state.acting_user(state.issue_client_token(state.clients[installed])).id == 3


def test_fixed_window_counter() -> None:
    now = [1000.0]
    counter = FixedWindowCounter(2, 10, clock=lambda: now[0])
    first, second, third = counter.hit("k"), counter.hit("k"), counter.hit("k")
    assert (first.remaining, second.remaining, third.remaining) == (1, 0, 0)
    assert (first.allowed, second.allowed, third.allowed) == (True, True, False)
    assert third.reset == 1010
    assert counter.peek("other").remaining == 2
    now[0] = 1010.0
    assert counter.hit("k").remaining == 1


def test_fault_rules_match_method_and_path() -> None:
    rules = FaultRules()
    rules.add({"path": "^/v2/room$", "status": 503, "count": 2, "method": "post"})
    assert rules.take("GET", "/v2/room") is None
    assert rules.take("POST", "/v2/room/1") is None
    assert rules.take("POST", "/v2/room").status == 503
    assert rules.take("POST", "/v2/room").hits == 2
    assert rules.take("POST", "/v2/room") is None


def test_expand_paths() -> None:
    expand = Expand.parse(["items.from,owner", "client.room"])
    assert "items" in expand
    assert "owner" in expand
    assert "client" in expand
    assert "from" in expand.child("items")
    assert "room" in expand.child("client")
    assert "participants" not in expand
    assert "ite" not in expand


def test_load_config_reads_environment() -> None:
    settings = load_config(
        {"EMULATOR_FLOOD_LIMIT": 5},
        environ={
            "EMULATOR_RATE_LIMIT": "42",
            "EMULATOR_EMPTY": "true",
            "EMULATOR_FLOOD_LIMIT": "9",
        },
    )
    assert settings["EMULATOR_RATE_LIMIT"] == 42
    assert settings["EMULATOR_EMPTY"] is True
    assert settings["EMULATOR_FLOOD_LIMIT"] == 5
    assert settings["EMULATOR_TOKEN_TTL"] == 3600
    with pytest.raises(ValueError, match="EMULATOR_RATE_LIMIT"):
        load_config(environ={"EMULATOR_RATE_LIMIT": "many"})
