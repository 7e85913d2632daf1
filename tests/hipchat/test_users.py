"""Wire tests for user calls: exact method, path, query and body per HIPCHAT.md §6.4."""

from __future__ import annotations

import base64

import pytest

from addon.hipchat import HipChat
from tests.hipchat.conftest import Stub
from tests.hipchat.wire import Case, check

PAGE = {"items": [{"id": 1}], "startIndex": 0, "maxResults": 100, "links": {"self": "x"}}
PHOTO = b"\x89PNG\r\n\x1a\n\x00\x00binary\xff"

CASES = [
    pytest.param(
        Case(
            lambda hc: hc.user().all(),
            "GET",
            "/v2/user",
            {
                "start-index": "0",
                "max-results": "100",
                "include-guests": "false",
                "include-deleted": "false",
            },
            reply=PAGE,
        ),
        id="all-defaults",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user().all(True, True, 100, 1000),
            "GET",
            "/v2/user",
            {
                "start-index": "100",
                "max-results": "1000",
                "include-guests": "true",
                "include-deleted": "true",
            },
            reply=PAGE,
        ),
        id="all-positional-like-php",
    ),
    pytest.param(
        Case(lambda hc: hc.user(1).get(), "GET", "/v2/user/1", reply={"id": 1}),
        id="get-by-id",
    ),
    pytest.param(
        Case(lambda hc: hc.user("@magoo").get(), "GET", "/v2/user/@magoo", reply={"id": 1}),
        id="get-by-mention",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user("matt@example.com").get(),
            "GET",
            "/v2/user/matt@example.com",
            reply={"id": 1},
        ),
        id="get-by-email",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user().create("Matt", "matt@example.com"),
            "POST",
            "/v2/user",
            body={"name": "Matt", "email": "matt@example.com"},
            status=201,
            reply={"id": 123, "links": {"self": "https://api.hipchat.com/v2/user/123"}},
        ),
        id="create-minimal",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user().create(
                "Matt",
                "matt@example.com",
                title="Hacker",
                mention_name="magoo",
                is_group_admin=True,
                timezone="America/New_York",
                password="s3cret",
                roles=["user"],
            ),
            "POST",
            "/v2/user",
            body={
                "name": "Matt",
                "email": "matt@example.com",
                "title": "Hacker",
                "mention_name": "magoo",
                "is_group_admin": True,
                "timezone": "America/New_York",
                "password": "s3cret",
                "roles": ["user"],
            },
            status=201,
            reply={"id": 123, "links": {"self": "https://api.hipchat.com/v2/user/123"}},
        ),
        id="create-options",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user(1).update(
                name="Matt", email="matt@example.com", mention_name="magoo"
            ),
            "PUT",
            "/v2/user/1",
            body={
                "name": "Matt",
                "email": "matt@example.com",
                "mention_name": "magoo",
                "timezone": "UTC",
                "is_group_admin": False,
                "title": "",
            },
            status=204,
        ),
        id="update-full-replacement-no-password",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user(1).update(
                name="Matt",
                email="matt@example.com",
                mention_name="magoo",
                timezone="Europe/Paris",
                is_group_admin=True,
                title="Boss",
                password="n3w",
                presence={"status": "busy", "show": "dnd"},
                roles=["admin"],
            ),
            "PUT",
            "/v2/user/1",
            body={
                "name": "Matt",
                "email": "matt@example.com",
                "mention_name": "magoo",
                "timezone": "Europe/Paris",
                "is_group_admin": True,
                "title": "Boss",
                "password": "n3w",
                "presence": {"status": "busy", "show": "dnd"},
                "roles": ["admin"],
            },
            status=204,
        ),
        id="update-everything",
    ),
    pytest.param(
        Case(lambda hc: hc.user(1).delete(), "DELETE", "/v2/user/1", status=204),
        id="delete",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user("@magoo").send("psst"),
            "POST",
            "/v2/user/@magoo/message",
            body={"message": "psst", "notify": False, "message_format": "text"},
            status=204,
        ),
        id="private-message",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user(1).send("<b>psst</b>", notify=True, message_format="html"),
            "POST",
            "/v2/user/1/message",
            body={"message": "<b>psst</b>", "notify": True, "message_format": "html"},
            status=204,
        ),
        id="private-message-html",
    ),
    pytest.param(
        Case(
            lambda hc: hc.user(1).upload_photo(PHOTO),
            "PUT",
            "/v2/user/1/photo",
            body={"photo": base64.b64encode(PHOTO).decode()},
            status=204,
        ),
        id="upload-photo",
    ),
    pytest.param(
        Case(lambda hc: hc.user(1).delete_photo(), "DELETE", "/v2/user/1/photo", status=204),
        id="delete-photo",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_user_calls_match_the_protocol(stub: Stub, hc: HipChat, case: Case) -> None:
    check(stub, hc, case)


def test_user_identifiers_are_quoted_but_keep_at(stub: Stub, hc: HipChat) -> None:
    hc.user("a b/c@example.com").get()
    assert stub.last.raw_path == "/v2/user/a%20b%2Fc@example.com"


def test_photo_must_be_bytes(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(TypeError):
        hc.user(1).upload_photo("not bytes")  # type: ignore[arg-type]
    assert stub.seen == []


def test_unknown_create_field_is_refused(hc: HipChat, stub: Stub) -> None:
    with pytest.raises(TypeError, match="nickname"):
        hc.user().create("Matt", "m@example.com", nickname="m")
    assert stub.seen == []


def test_update_requires_identity_fields(hc: HipChat) -> None:
    with pytest.raises(TypeError):
        hc.user(1).update(name="Matt", email="m@example.com")  # type: ignore[call-arg]
