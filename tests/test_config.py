"""ADDON_* settings: precedence, coercion, clear errors, trusted-host matching."""

from __future__ import annotations

import pytest

from addon.config import ConfigError, load_settings


def settings(**config: object):
    base = {"ADDON_SECRET_KEY": "k"}
    base.update(config)
    return load_settings(base, "/tmp/instance")


def test_defaults_and_sqlite_under_instance():
    s = settings()
    assert s.base_url == "http://127.0.0.1:5000"
    assert s.database_url == "sqlite:////tmp/instance/addon.db"
    assert s.trusted_hosts == ("api.hipchat.com",)
    assert s.allow_unsigned_webhooks is False


def test_flask_config_wins_over_environment(monkeypatch):
    monkeypatch.setenv("ADDON_BASE_URL", "https://env.example.com")
    monkeypatch.setenv("ADDON_JWT_LEEWAY", "30")
    s = settings(ADDON_BASE_URL="https://config.example.com/")
    assert s.base_url == "https://config.example.com"
    assert s.jwt_leeway == 30
    assert s.url("/addon/descriptor") == "https://config.example.com/addon/descriptor"


def test_environment_values_are_coerced(monkeypatch):
    monkeypatch.setenv("ADDON_TRUSTED_HOSTS", "a.example.com, *.hipchat.com ,127.0.0.1:8080")
    monkeypatch.setenv("ADDON_ALLOW_UNSIGNED_WEBHOOKS", "yes")
    monkeypatch.setenv("ADDON_SECRET_KEY", "new,old")
    s = load_settings({}, "/tmp/i")
    assert s.trusted_hosts == ("a.example.com", "*.hipchat.com", "127.0.0.1:8080")
    assert s.allow_unsigned_webhooks is True
    assert s.secret_keys == ("new", "old")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"ADDON_SECRET_KEY": ""}, "ADDON_SECRET_KEY"),
        ({"ADDON_BASE_URL": "addon.example.com"}, "ADDON_BASE_URL"),
        ({"ADDON_JWT_LEEWAY": "soon"}, "ADDON_JWT_LEEWAY"),
        ({"ADDON_MAX_BODY": -1}, "ADDON_MAX_BODY"),
        ({"ADDON_ALLOW_UNSIGNED_WEBHOOKS": "maybe"}, "ADDON_ALLOW_UNSIGNED_WEBHOOKS"),
    ],
)
def test_bad_values_name_their_key(config, key, monkeypatch):
    monkeypatch.delenv("ADDON_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match=key):
        load_settings({"ADDON_SECRET_KEY": "k", **config}, "/tmp/i")


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.hipchat.com/v2/capabilities", True),
        ("http://api.hipchat.com/v2/capabilities", True),
        ("https://API.HIPCHAT.COM/v2/capabilities", True),
        ("https://evil.com/v2/capabilities", False),
        ("https://api.hipchat.com.evil.com/v2/", False),
        ("https://x.team.example.com/v2/", True),
        ("https://team.example.com/v2/", False),
        ("http://127.0.0.1:8080/v2/capabilities", True),
        ("http://127.0.0.1:9090/v2/capabilities", False),
        ("https://user:pw@api.hipchat.com/v2/", False),
        ("ftp://api.hipchat.com/v2/", False),
        ("not a url", False),
        ("http://[::1]:8080/v2/", True),
    ],
)
def test_trusted_hosts(url, trusted):
    s = settings(ADDON_TRUSTED_HOSTS="api.hipchat.com,*.team.example.com,127.0.0.1:8080,[::1]:8080")
    assert s.is_trusted(url) is trusted


def test_background_and_redis_settings(monkeypatch):
    s = settings()
    assert (s.background, s.background_workers, s.redis_url) == ("thread", 4, None)
    monkeypatch.setenv("ADDON_BACKGROUND_WORKERS", "9")
    s = settings(ADDON_REDIS_URL="redis://r:6379/1", ADDON_BACKGROUND="RQ", ADDON_RQ_QUEUE="jobs")
    assert (s.background, s.background_workers, s.rq_queue) == ("rq", 9, "jobs")
    assert s.redis_url == "redis://r:6379/1"
    with pytest.raises(ConfigError, match="ADDON_BACKGROUND must be"):
        settings(ADDON_BACKGROUND="celery")
    with pytest.raises(ConfigError, match="needs ADDON_REDIS_URL"):
        settings(ADDON_BACKGROUND="rq")
