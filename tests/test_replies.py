"""Notification and Card: validation per HIPCHAT.md §6.3.1/§7.4, serialisation, coercion."""

from __future__ import annotations

import enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addon.replies import (
    CARD_FORMATS,
    CARD_STYLES,
    COLORS,
    LOZENGE_STYLES,
    MAX_MESSAGE_LENGTH,
    Card,
    CardError,
    Notification,
    NotificationError,
    as_notification,
    validate_card,
)

EXAMPLE_CARD: dict[str, Any] = {  # the §7.4 example
    "style": "application",
    "id": "build-1234",
    "title": "Build #1234 passed",
    "url": "https://ci.example.com/1234",
    "format": "medium",
    "description": {"value": "<b>master</b> built in 3m", "format": "html"},
    "icon": {"url": "https://ci.example.com/i.png", "url@2x": "https://ci.example.com/i@2x.png"},
    "thumbnail": {"url": "https://ci.example.com/t.png", "url@2x": "...", "width": 100,
                  "height": 100},
    "activity": {"html": "<b>CI</b> finished a build", "icon": {"url": "https://ci/a.png"}},
    "attributes": [
        {"label": "Status", "value": {"label": "passed", "style": "lozenge-success"}},
        {"label": "Commit", "value": {"label": "abc123", "url": "https://ci/c",
                                      "icon": {"url": "https://ci/i.png"}}},
    ],
}  # fmt: skip


# --- Notification --------------------------------------------------------------------------------


def test_defaults_and_body() -> None:
    assert Notification("hi").to_json() == {
        "message": "hi",
        "color": "yellow",
        "message_format": "html",
        "notify": False,
    }


def test_full_body_uses_the_wire_names() -> None:
    notification = Notification(
        "Deployed",
        color="green",
        message_format="text",
        notify=True,
        from_="CI",
        card=EXAMPLE_CARD,
        attach_to="0c8e0a4c-11aa-4f5b-9bb0-6c9e0e5f35a1",
    )
    body = notification.to_json()
    assert body["from"] == "CI"
    assert "from_" not in body
    assert body["card"] == EXAMPLE_CARD
    assert body["attach_to"] == "0c8e0a4c-11aa-4f5b-9bb0-6c9e0e5f35a1"
    assert Notification.from_json(body) == notification


def test_send_kwargs_match_the_client_signature() -> None:
    kwargs = Notification("x", color="red", from_="bot").send_kwargs()
    assert kwargs == {
        "notify": False,
        "color": "red",
        "message_format": "html",
        "card": None,
        "from_": "bot",
        "attach_to": None,
    }


def test_limits_are_inclusive() -> None:
    Notification("x" * MAX_MESSAGE_LENGTH)
    Notification("x", from_="f" * 64)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"message": ""},
        {"message": "x" * (MAX_MESSAGE_LENGTH + 1)},
        {"message": b"bytes"},
        {"message": None},
        {"message": "x", "color": "blue"},
        {"message": "x", "color": "Yellow"},
        {"message": "x", "message_format": "markdown"},
        {"message": "x", "notify": "yes"},
        {"message": "x", "notify": 1},
        {"message": "x", "from_": "f" * 65},
        {"message": "x", "from_": 5},
        {"message": "x", "attach_to": ""},
        {"message": "x", "card": {"style": "application"}},
        {"message": "x", "card": "card"},
    ],
)
def test_invalid_notifications(kwargs: dict[str, Any]) -> None:
    with pytest.raises(NotificationError):
        Notification(**kwargs)


def test_enum_values_are_accepted() -> None:
    class Color(enum.StrEnum):
        GREEN = "green"

    class Format(enum.Enum):
        TEXT = "text"

    notification = Notification("x", color=Color.GREEN, message_format=Format.TEXT)
    assert notification.to_json()["color"] == "green"
    assert notification.message_format == "text"


def test_body_is_a_copy() -> None:
    notification = Notification("x", card=EXAMPLE_CARD)
    notification.to_json()["card"]["title"] = "changed"
    notification.send_kwargs()["card"]["id"] = "changed"
    assert notification.card is not None
    assert notification.card["title"] == "Build #1234 passed"
    assert notification.card["id"] == "build-1234"


def test_card_dict_is_copied_on_construction() -> None:
    card = {"style": "link", "id": "1", "title": "t"}
    notification = Notification("x", card=card)
    card["title"] = "changed"
    assert notification.card == {"style": "link", "id": "1", "title": "t"}


def test_replace_revalidates() -> None:
    base = Notification("x")
    assert base.replace(color="green").color == "green"
    with pytest.raises(NotificationError):
        base.replace(color="blue")
    with pytest.raises(NotificationError):
        base.replace(colour="green")


def test_from_json_reads_notify_strings() -> None:
    assert Notification.from_json({"message": "x", "notify": "true"}).notify is True
    assert Notification.from_json({"message": "x", "notify": "FALSE"}).notify is False


@pytest.mark.parametrize(
    "data",
    [
        [],
        "message",
        {},
        {"color": "green"},
        {"message": "x", "colour": "green"},
        {"message": "x", "from_": "py name, not wire name"},
        {"message": "x", "notify": "maybe"},
    ],
)
def test_from_json_refuses(data: Any) -> None:
    with pytest.raises(NotificationError):
        Notification.from_json(data)


# --- Card ----------------------------------------------------------------------------------------


def test_example_card_validates_and_round_trips() -> None:
    assert validate_card(EXAMPLE_CARD) == EXAMPLE_CARD
    assert Card.from_json(EXAMPLE_CARD).to_json() == EXAMPLE_CARD


def test_minimal_card() -> None:
    card = Card("link", "c1", "A link", url="https://example.com")
    assert card.to_json() == {
        "style": "link",
        "id": "c1",
        "title": "A link",
        "url": "https://example.com",
    }


def test_card_helpers() -> None:
    card = Card(
        "application",
        "b-1",
        "Build",
        description="plain",
        icon="https://ci/i.png",
        attributes=[
            Card.attribute("Status", "ok", style="lozenge-success"),
            Card.attribute(None, "abc", url="https://ci/c", icon="https://ci/x.png"),
        ],
    )
    body = card.to_json()
    assert body["icon"] == {"url": "https://ci/i.png"}
    assert body["attributes"] == [
        {"label": "Status", "value": {"label": "ok", "style": "lozenge-success"}},
        {"value": {"label": "abc", "url": "https://ci/c", "icon": {"url": "https://ci/x.png"}}},
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"style": None},
        {"style": "banner"},
        {"id": None},
        {"id": ""},
        {"title": None},
        {"title": 3},
        {"format": "large"},
        {"url": 5},
        {"description": 5},
        {"description": {"value": "x", "format": "markdown"}},
        {"description": {"value": 1, "format": "text"}},
        {"description": {"value": "x"}},
        {"icon": {"url@2x": "x"}},
        {"icon": "https://string-icon-only-in-the-python-constructor"},
        {"thumbnail": {"url": "x", "width": -1}},
        {"thumbnail": {"url": "x", "height": "100"}},
        {"thumbnail": {"url": "x", "width": True}},
        {"thumbnail": {}},
        {"activity": {"icon": {"url": "x"}}},
        {"activity": {"html": "x", "icon": "x"}},
        {"attributes": {"label": "not a list"}},
        {"attributes": ["x"]},
        {"attributes": [{"label": "a", "value": "plain"}]},
        {"attributes": [{"label": "a", "value": {"label": "v", "style": "lozenge-blue"}}]},
        {"attributes": [{"label": "a", "value": {"style": "lozenge"}}]},
        {"attributes": [{"label": "a", "value": {"label": "v"}, "extra": 1}]},
        {"colour": "red"},
    ],
)
def test_invalid_cards(change: dict[str, Any]) -> None:
    data = {**EXAMPLE_CARD, **change}
    data = {key: value for key, value in data.items() if value is not None}
    with pytest.raises(CardError):
        validate_card(data)
    with pytest.raises(NotificationError):  # CardError is a NotificationError
        Notification("fallback", card=data)


def test_card_constructor_validates() -> None:
    with pytest.raises(CardError, match="style"):
        Card("banner", "1", "t")
    with pytest.raises(CardError, match="fallback"):
        Card("link", "1", "t", fallback="")
    with pytest.raises(CardError, match="attributes"):
        Card("link", "1", "t", attributes="x")  # type: ignore[arg-type]


def test_card_to_notification_needs_and_builds_a_fallback() -> None:
    card = Card("link", "1", "Tom & Jerry <3")
    notification = card.to_notification(color="green")
    assert notification.message == "Tom &amp; Jerry &lt;3"
    assert notification.message_format == "html"
    assert notification.card == card.to_json()
    assert card.to_notification(message_format="text").message == "Tom & Jerry <3"
    assert Card("link", "1", "t", fallback="see <b>t</b>").to_notification().message == (
        "see <b>t</b>"
    )
    assert card.to_notification(message="custom").message == "custom"
    with pytest.raises(NotificationError):
        card.to_notification(card={})
    with pytest.raises(NotificationError):
        card.to_notification(colour="green")


def test_notification_accepts_a_card_object() -> None:
    card = Card("media", "m", "Video")
    assert Notification("fallback", card=card).card == card.to_json()  # type: ignore[arg-type]


# --- coercion ------------------------------------------------------------------------------------


def test_as_notification() -> None:
    assert as_notification(None) is None
    plain = as_notification("<b>not html</b> @all")
    assert plain == Notification("<b>not html</b> @all", message_format="text")
    existing = Notification("x")
    assert as_notification(existing) is existing
    card = Card("link", "1", "t")
    assert as_notification(card) == card.to_notification()
    assert as_notification({"message": "hi", "color": "red"}) == Notification("hi", color="red")


@pytest.mark.parametrize("value", ["", 5, 1.5, ["x"], b"bytes", object()])
def test_as_notification_refuses(value: Any) -> None:
    with pytest.raises(NotificationError):
        as_notification(value)


# --- properties ----------------------------------------------------------------------------------

_texts = st.text(min_size=1, max_size=200)
_cards = st.builds(
    Card,
    style=st.sampled_from(CARD_STYLES),
    id=_texts,
    title=_texts,
    description=st.none() | st.text() | st.fixed_dictionaries(
        {"value": st.text(), "format": st.sampled_from(["html", "text"])}
    ),
    format=st.none() | st.sampled_from(CARD_FORMATS),
    attributes=st.lists(
        st.builds(
            Card.attribute,
            label=st.none() | _texts,
            value=_texts,
            style=st.none() | st.sampled_from(LOZENGE_STYLES),
        ),
        max_size=3,
    ),
)  # fmt: skip
_notifications = st.builds(
    Notification,
    message=st.text(min_size=1, max_size=MAX_MESSAGE_LENGTH).filter(bool),
    color=st.sampled_from(COLORS),
    message_format=st.sampled_from(["html", "text"]),
    notify=st.booleans(),
    from_=st.none() | st.text(max_size=64),
    card=st.none() | _cards.map(Card.to_json),
    attach_to=st.none() | _texts,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
OPTIONAL_FIELDS = {"from", "card", "attach_to"}
_keys = st.sampled_from(["message", "color", "message_format", "notify", "from", "card"])


@given(_notifications)
def test_valid_notifications_round_trip(notification: Notification) -> None:
    body = notification.to_json()
    assert Notification.from_json(body) == notification
    assert 1 <= len(body["message"]) <= MAX_MESSAGE_LENGTH
    assert body["color"] in COLORS
    assert set(body) <= {"message", "color", "message_format", "notify"} | OPTIONAL_FIELDS
    assert None not in body.values()
    if notification.card is not None:
        assert validate_card(body["card"]) == body["card"]


@given(st.dictionaries(_keys, _json, max_size=6) | _json)
def test_arbitrary_input_is_a_notification_or_a_notification_error(data: Any) -> None:
    try:
        result = as_notification(data)
    except NotificationError:
        return
    assert result is None or isinstance(result, Notification)
    if result is not None:
        assert Notification.from_json(result.to_json()) == result


@given(st.dictionaries(st.sampled_from([*EXAMPLE_CARD, "x"]), _json, max_size=4))
def test_arbitrary_cards_validate_or_raise_card_error(changes: dict[str, Any]) -> None:
    data = {"style": "link", "id": "1", "title": "t", **changes}
    try:
        valid = validate_card(data)
    except CardError:
        return
    assert valid == {key: value for key, value in data.items() if value is not None}
    if valid.get("attributes") == []:
        del valid["attributes"]  # an empty list is not sent
    assert Card.from_json(data).to_json() == valid
