"""The descriptor: built from the registered handlers, every link absolute, validated."""

from __future__ import annotations

import pytest

from addon.config import load_settings
from addon.descriptor import AddonInfo, DescriptorError, build, validate
from addon.dispatch import Registry


@pytest.fixture
def settings():
    return load_settings(
        {"ADDON_SECRET_KEY": "k", "ADDON_BASE_URL": "https://bot.example.com/base/"}, "/tmp/i"
    )


def test_descriptor_shape(settings):
    registry = Registry()
    registry.add("room_message", lambda e: None, pattern=r"^/deploy", key="deploy", name="Deploy")
    registry.add("room_enter", lambda e: None, key="greet")
    registry.add("room_message", lambda e: None, key="hidden", room_webhook=True)
    info = AddonInfo(
        key="com.example.bot",
        name="Bot",
        description="d",
        vendor={"name": "Ex", "url": "https://example.com"},
        scopes=("send_notification", "admin_room"),
        from_name="Bot",
        avatar="https://bot.example.com/a.png",
    )
    doc = build(info, settings, registry, configurable=True)
    validate(info, registry, doc)
    assert doc["key"] == "com.example.bot"
    assert doc["links"]["self"] == "https://bot.example.com/base/addon/descriptor"
    caps = doc["capabilities"]
    assert caps["installable"] == {
        "allowRoom": True,
        "allowGlobal": True,
        "callbackUrl": "https://bot.example.com/base/addon/installable",
        "uninstalledUrl": "https://bot.example.com/base/addon/uninstalled",
    }
    assert caps["hipchatApiConsumer"] == {
        "scopes": ["send_notification", "admin_room"],
        "fromName": "Bot",
        "avatar": {"url": "https://bot.example.com/a.png"},
    }
    assert caps["webhook"] == [
        {
            "event": "room_message",
            "url": "https://bot.example.com/base/addon/webhook/deploy",
            "name": "Deploy",
            "key": "deploy",
            "authentication": "jwt",
            "pattern": "^/deploy",
        },
        {
            "event": "room_enter",
            "url": "https://bot.example.com/base/addon/webhook/greet",
            "name": "greet",
            "key": "greet",
            "authentication": "jwt",
        },
    ]
    assert caps["configurable"] == {"url": "https://bot.example.com/base/addon/configure"}


def test_no_configurable_without_a_page(settings):
    info = AddonInfo(key="k", name="n")
    assert "configurable" not in build(info, settings, Registry())["capabilities"]
    assert "webhook" not in build(info, settings, Registry())["capabilities"]


@pytest.mark.parametrize(
    ("info", "message"),
    [
        (AddonInfo(key="k", name="n", scopes=("send_notification", "be_god")), "be_god"),
        (AddonInfo(key="k", name="n", allow_room=False, allow_global=False), "nothing can"),
        (AddonInfo(key="", name="n"), "key"),
        (AddonInfo(key="k", name="n", avatar="/relative.png"), "avatar"),
    ],
)
def test_invalid_add_ons(settings, info, message):
    with pytest.raises(DescriptorError, match=message):
        validate(info, [], build(info, settings, []))


def test_room_webhook_needs_admin_room(settings):
    registry = Registry()

    def hook(event):
        return None

    registry.add("room_message", hook, room_webhook=True)
    info = AddonInfo(key="k", name="n", scopes=("send_notification",))
    with pytest.raises(DescriptorError, match=r"hook .*admin_room"):
        validate(info, registry, build(info, settings, registry))
