"""The handler registry and running handlers: patterns, keys, errors, replies."""

from __future__ import annotations

import logging

import pytest

from addon.dispatch import RegistrationError, Registry, run
from addon.events import parse_event
from addon.replies import Notification


def message_event(text: str, **extra: object):
    payload = {
        "event": "room_message",
        "item": {
            "message": {"id": "m1", "message": text, "from": {"id": 7, "name": "Ann"}},
            "room": {"id": 3, "name": "Ops"},
        },
        "oauth_client_id": "c1",
        "webhook_id": 11,
    }
    payload.update(extra)
    return parse_event(payload)


def test_pattern_is_searched_and_groups_exposed():
    registry = Registry()
    seen = []
    handler = registry.add(
        "room_message",
        lambda e: seen.append(e.match["target"]),
        pattern=r"/deploy (?P<target>\w+)",
        key="d",
    )
    assert run(handler, message_event("please /deploy staging now")) is None
    assert seen == ["staging"]


def test_non_matching_message_is_skipped():
    registry = Registry()
    handler = registry.add("room_message", lambda e: "reply", pattern=r"^/deploy", key="d")
    assert run(handler, message_event("hello /deploy")) is None
    reply = run(handler, message_event("/deploy x"))
    assert isinstance(reply, Notification)
    assert reply.message == "reply"


def test_failing_handler_is_logged_with_ids_and_gives_no_reply(caplog):
    registry = Registry()

    def broken(event):
        raise RuntimeError("boom")

    handler = registry.add("room_message", broken)
    with caplog.at_level(logging.ERROR, logger="addon.dispatch"):
        assert run(handler, message_event("hi")) is None
    text = caplog.text
    assert "installation=c1" in text
    assert "room=3" in text
    assert "event=m1" in text
    assert "boom" in text


def test_default_key_comes_from_the_function_name():
    registry = Registry()

    def deploy_now(event):
        return None

    assert registry.add("room_enter", deploy_now).key == "deploy-now"
    assert registry.get("deploy-now") is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "room_joined"}, "unknown event"),
        ({"event": "room_message", "pattern": "("}, "does not compile"),
        ({"event": "room_enter", "pattern": "x"}, "only applies"),
        ({"event": "room_message", "key": "x" * 41}, "1-40"),
        ({"event": "room_message", "key": "bad key"}, "1-40"),
        ({"event": "room_message", "name": ""}, "1-100"),
    ],
)
def test_registration_errors_name_the_handler(kwargs, message):
    def my_handler(event):
        return None

    with pytest.raises(RegistrationError, match=message) as info:
        Registry().add(func=my_handler, **kwargs)
    assert "my_handler" in str(info.value)


def test_duplicate_keys_are_refused():
    registry = Registry()
    registry.add("room_message", lambda e: None, key="same")
    with pytest.raises(RegistrationError, match="already used"):
        registry.add("room_enter", lambda e: None, key="same")


def test_background_flag_is_kept_on_the_handler():
    from addon.dispatch import Registry

    registry = Registry()
    handler = registry.add("room_enter", lambda event: None, key="later", background=True)
    assert handler.background is True
    assert registry.add("room_exit", lambda event: None, key="now").background is False
