"""Uninstalls HipChat did not ask for change nothing, in both flows (§2.4 A and B).

The server-side DELETE variant is tests/e2e/test_install_failures.py::
test_forged_uninstall_changes_nothing (kept as the regression test); these cover the browser flow.
"""

from __future__ import annotations

import requests
from flask import Flask

from tests.e2e.conftest import LOBBY
from tests.security.conftest import counts


def browse(live, installable_url: str, redirect_url: str) -> requests.Response:
    return requests.get(
        f"{live.url}/addon/uninstalled",
        params={"installable_url": installable_url, "redirect_url": redirect_url},
        allow_redirects=False,
        timeout=10,
    )


def test_the_real_browser_uninstall_removes_the_installation(emulator, deploybot, installed):
    flow = emulator.admin("DELETE", f"installations/{installed['oauthId']}?flow=redirect")
    assert flow.status_code == 200, flow.text
    target = flow.json()["redirect_to"]
    assert target.startswith(f"{deploybot.url}/addon/uninstalled?")
    answer = requests.get(target, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"] == flow.json()["redirect_url"]
    assert counts(deploybot)["addon_installation"] == 0
    assert counts(deploybot)["addon_token"] == 0


def test_a_replayed_installable_url_changes_nothing_more(emulator, deploybot, installed):
    flow = emulator.admin("DELETE", f"installations/{installed['oauthId']}?flow=redirect").json()
    assert requests.get(flow["redirect_to"], allow_redirects=False, timeout=10).status_code == 302
    again = requests.get(flow["redirect_to"], allow_redirects=False, timeout=10)
    assert again.status_code == 502  # the one-time URL is gone
    assert "error" in again.json()


def test_a_forged_browser_uninstall_changes_nothing(emulator, serve_addon, serve_app, leak_guard):
    """An installable_url on a trusted host naming a live installation: HipChat still honours
    the credentials, so the add-on refuses (403) and keeps serving the room."""
    import wsgi

    liar = Flask("liar")
    victim: dict[str, str] = {}

    @liar.get("/v2/addon/installable/forged")
    def forged():
        return {"oauthId": victim["oauthId"]}

    fake = serve_app(liar)
    live = serve_addon(
        wsgi.create_app, ADDON_TRUSTED_HOSTS=f"{emulator.host},{fake.host}:{fake.port}"
    )
    victim.update(emulator.install(f"{live.url}/addon/descriptor", room=LOBBY))
    before = counts(live)
    answer = leak_guard.body(
        browse(
            live, f"{fake.url}/v2/addon/installable/forged", f"{emulator.url}/emulator/uninstalled"
        )
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == 403
    assert counts(live) == before
    emulator.say(LOBBY, "/status")
    emulator.wait_idle()
    assert emulator.history(LOBBY)[-1]["message"].startswith("Deploy Bot is up")


def test_browser_uninstall_refuses_an_untrusted_redirect(emulator, deploybot, installed):
    flow = emulator.admin("DELETE", f"installations/{installed['oauthId']}?flow=redirect").json()
    answer = browse(deploybot, flow["installable_url"], "https://evil.example/phish")
    assert answer.status_code == 400
    assert counts(deploybot)["addon_installation"] == 1  # nothing was fetched or deleted


def test_browser_uninstall_needs_both_parameters(deploybot):
    answer = requests.get(f"{deploybot.url}/addon/uninstalled", timeout=5)
    assert answer.status_code == 400
    assert "error" in answer.json()
