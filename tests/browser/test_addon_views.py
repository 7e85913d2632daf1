"""Glances in the room sidebar and their web panel in an iframe, in headless Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from addon.testing import EmulatorHandle, LiveServer
from tests.emulator.ui.glance_addon import serve_glance_addon

pytestmark = pytest.mark.browser

LOBBY = 1


def test_glances_show_in_the_sidebar_and_open_their_web_panel(
    driver: Any, emulator: EmulatorHandle, serve_app: Callable[..., LiveServer]
) -> None:
    addon = serve_glance_addon(serve_app)
    installed = emulator.install(addon.descriptor_url, room=LOBBY)
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    wait = WebDriverWait(driver, 10, poll_frequency=0.05)

    glance = wait.until(ec.presence_of_element_located((By.ID, "glance-fake.builds")))
    assert glance.text.replace("\n", " ") == "4 builds GOOD"
    assert glance.find_element(By.TAG_NAME, "b").text == "4"
    assert not glance.find_elements(By.TAG_NAME, "script")
    no_cors = driver.find_element(By.ID, "glance-fake.nocors").text
    assert "No CORS" in no_cors
    assert "no CORS header" in no_cors
    assert "HTTP 500" in driver.find_element(By.ID, "glance-fake.broken").text

    glance.click()
    frame = wait.until(ec.visibility_of_element_located((By.ID, "addon-frame")))
    assert driver.find_element(By.ID, "frame-title").text.lower() == "builds"
    driver.switch_to.frame(frame)
    panel = wait.until(ec.presence_of_element_located((By.ID, "panel")))
    assert installed["oauthId"] in panel.text  # the panel verified its signed_request


def test_a_data_target_link_in_a_notification_opens_the_addon_view(
    driver: Any, emulator: EmulatorHandle, serve_app: Callable[..., LiveServer]
) -> None:
    addon = serve_glance_addon(serve_app)
    oauth_id = emulator.install(addon.descriptor_url, room=LOBBY)["oauthId"]
    emulator.state.post_notification(
        LOBBY,
        {"message": 'Build failed: <a href="#" data-target="fake.panel">details</a>'},
        client_id=oauth_id,
    )
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    wait = WebDriverWait(driver, 10, poll_frequency=0.05)
    driver.find_element(By.CSS_SELECTOR, "#history a[data-target]").click()
    frame = wait.until(ec.visibility_of_element_located((By.ID, "addon-frame")))
    driver.switch_to.frame(frame)
    panel = wait.until(ec.presence_of_element_located((By.ID, "panel")))
    assert oauth_id in panel.text
