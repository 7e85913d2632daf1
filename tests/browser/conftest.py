"""Browser-test fixtures: one headless Chromium per session, and the deploy bot served next to
a fresh emulator (the e2e fixtures ``deploybot`` and ``installed``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.driver import CHROMEDRIVER, CHROMIUM, Browser
from tests.e2e.conftest import deploybot, installed  # noqa: F401  (fixtures used here too)


@pytest.fixture(scope="session")
def browser_session() -> Iterator[Browser]:
    """Headless Chromium at 1280x800; fails (never skips) when it is not installed."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run `make browser-deps`")
    browser = Browser()
    yield browser
    browser.quit()


@pytest.fixture
def driver(browser_session: Browser) -> Iterator[Any]:
    """The session's WebDriver with a 1280x800 viewport; ``driver.viewport(w, h)`` resizes."""
    web = browser_session.driver
    browser_session.viewport(1280, 800)
    web.viewport = browser_session.viewport
    yield web
    web.switch_to.default_content()
    web.get("about:blank")
