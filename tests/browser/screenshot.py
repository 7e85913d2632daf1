"""Take the README's screenshot: the Demo room with the deploy bot answering, at 1280x800.

``make screenshot`` (or ``python tests/browser/screenshot.py [docs/room.png]``) serves the
emulator and the example add-on on free ports, installs the bot into "Demo", has Bob ask for a
deploy, and saves what headless Chromium shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from addon.emulator import create_app  # noqa: E402
from addon.testing import serve, serve_built  # noqa: E402
from tests.browser.driver import Browser  # noqa: E402


def build_bot(database: Path, emulator_host: str) -> Any:
    """Return a builder for the deploy bot that trusts the emulator at ``emulator_host``."""
    os.environ.setdefault("ADDON_SECRET_KEY", "screenshot-only-secret")
    import wsgi
    from addon.extension import EXTENSION_KEY
    from addon.store import migrate

    def build(url: str) -> Any:
        app = wsgi.create_app(
            {
                "ADDON_BASE_URL": url,
                "ADDON_TRUSTED_HOSTS": emulator_host,
                "ADDON_DATABASE_URL": f"sqlite:///{database}",
                "ADDON_SECRET_KEY": "screenshot-only-secret",
            }
        )
        migrate.upgrade(app.extensions[EXTENSION_KEY].settings.database_url)
        return app

    return build


def main(target: str = "docs/room.png") -> int:
    """Stage the conversation and save the screenshot to ``target``."""
    emulator = serve(create_app())
    state = emulator.app.extensions["emulator"]
    with tempfile.TemporaryDirectory() as tmp:
        bot = serve_built(build_bot(Path(tmp) / "bot.db", f"127.0.0.1:{emulator.port}"))
        browser = None
        try:
            room = state.create_room({"name": "Demo", "topic": "Try /deploy staging"})
            state.addons.installations.install(
                f"{bot.url}/addon/descriptor", room.id, emulator.url + "/"
            )
            state.enter_room(room.id, "@bob")
            state.wait_idle()
            state.post_user_message(room.id, "@bob", "Morning! Is staging free? @carol")
            state.post_user_message(room.id, "@carol", "All yours")
            state.post_user_message(room.id, "@bob", "/deploy staging")
            state.wait_idle()
            browser = Browser(1280, 800)
            web = browser.driver
            web.get(f"{emulator.url}/")
            web.execute_script("localStorage.setItem('hipchat-emulator-user', '2');")  # Bob
            web.get(f"{emulator.url}/rooms/{room.id}")
            web.find_element("css selector", "a.js-frame").click()  # the configure page
            time.sleep(1.5)  # the iframe, the poll round trip and fonts settle
            out = ROOT / target
            out.parent.mkdir(parents=True, exist_ok=True)
            browser.driver.save_screenshot(str(out))
            print(f"saved {out}")
        finally:
            if browser is not None:
                browser.quit()
            bot.stop()
            emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
