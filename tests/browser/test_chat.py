"""The web chat in a real headless Chromium: chat with the deploy bot, open its configure page,
install and uninstall it from /addons."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from addon.testing import EmulatorHandle, LiveServer

pytestmark = pytest.mark.browser

LOBBY = 1


def wait(driver: Any, seconds: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, seconds, poll_frequency=0.05)


def history_text(driver: Any) -> str:
    return str(driver.find_element(By.ID, "history").text)


def test_deploy_replies_appear_without_a_reload(
    driver: Any, emulator: EmulatorHandle, installed: dict[str, Any]
) -> None:
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    assert driver.execute_script("return [innerWidth, innerHeight];") == [1280, 800]
    driver.execute_script("window.__sameDocument = 'yes';")
    Select(driver.find_element(By.ID, "user-picker")).select_by_value("2")  # Bob Builder
    box = driver.find_element(By.ID, "message")
    box.send_keys("/deploy staging", Keys.ENTER)

    wait(driver).until(lambda d: "staging deployed" in history_text(d))
    wait(driver).until(lambda d: "Deploy of staging requested by Bob Builder" in history_text(d))
    assert driver.execute_script("return window.__sameDocument;") == "yes"  # never reloaded
    assert box.get_attribute("value") == ""
    user_message = driver.find_element(By.CSS_SELECTOR, "#history .msg-message")
    assert "Bob Builder" in user_message.text
    assert "/deploy staging" in user_message.text
    reply = driver.find_element(By.XPATH, "//li[contains(., 'staging deployed')]")
    assert "color-green" in reply.get_attribute("class")
    announce = driver.find_element(By.XPATH, "//li[contains(., 'requested by Bob Builder')]")
    assert "color-purple" in announce.get_attribute("class")


def test_messages_posted_elsewhere_show_up_within_a_second(
    driver: Any, emulator: EmulatorHandle
) -> None:
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    driver.execute_script("window.__sameDocument = 'yes';")
    emulator.say(LOBBY, "hello from the API, @bob", user="@carol")
    wait(driver, 2).until(lambda d: "hello from the API" in history_text(d))
    mention = driver.find_element(By.CSS_SELECTOR, "#history .mention")
    assert mention.text == "@bob"
    assert driver.execute_script("return window.__sameDocument;") == "yes"


def test_html_notifications_are_rendered_without_running_scripts(
    driver: Any, emulator: EmulatorHandle
) -> None:
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    hostile = (
        '<b id="bold">safe</b><img src="x" onerror="window.__pwned=1">'
        '<script>window.__pwned=2</script><a href="javascript:window.__pwned=3">link</a>'
    )
    response = emulator.admin(
        "POST", f"rooms/{LOBBY}/notifications", json={"message": hostile, "color": "red"}
    )
    assert response.status_code == 201
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#history .color-red b"))
    link = driver.find_element(By.CSS_SELECTOR, "#history .color-red a")
    assert link.get_attribute("href") is None
    link.click()
    assert driver.execute_script("return window.__pwned === undefined;") is True


def test_enter_leave_and_topic_from_the_room_page(driver: Any, emulator: EmulatorHandle) -> None:
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    Select(driver.find_element(By.ID, "user-picker")).select_by_value("3")  # Carol
    driver.find_element(By.CSS_SELECTOR, "#enter-form button").click()
    wait(driver).until(lambda d: "Carol Chen" in d.find_element(By.ID, "present").text)
    assert 3 in emulator.state.get_room(LOBBY).participants
    driver.find_element(By.CSS_SELECTOR, "#exit-form button").click()
    wait(driver).until(lambda d: "Carol Chen" not in d.find_element(By.ID, "present").text)
    driver.find_element(By.CSS_SELECTOR, ".topic-edit summary").click()
    topic = driver.find_element(By.CSS_SELECTOR, "#topic-form input[name=topic]")
    topic.clear()
    topic.send_keys("Ship it", Keys.ENTER)
    wait(driver).until(lambda d: d.find_element(By.ID, "topic").text == "Ship it")
    assert emulator.state.get_room(LOBBY).topic == "Ship it"


def test_configure_page_loads_through_a_verified_signed_request(
    driver: Any, emulator: EmulatorHandle, installed: dict[str, Any]
) -> None:
    oauth_id = installed["oauthId"]
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    driver.find_element(By.ID, f"configure-{oauth_id}").click()
    frame = wait(driver).until(ec.visibility_of_element_located((By.ID, "addon-frame")))
    driver.switch_to.frame(frame)
    shown = wait(driver).until(ec.presence_of_element_located((By.ID, "installation")))
    assert shown.text == oauth_id
    assert "verified" in driver.find_element(By.ID, "verified").text
    assert driver.find_element(By.ID, "user").text == "user 1"  # Ada, the picked user
    assert "signed_request=" in driver.execute_script("return location.search;")


def test_install_and_uninstall_from_the_addons_page(
    driver: Any, emulator: EmulatorHandle, deploybot: LiveServer
) -> None:
    driver.get(f"{emulator.url}/addons")
    assert driver.find_element(By.ID, "no-installations")
    driver.find_element(By.ID, "descriptor-url").send_keys(f"{deploybot.url}/addon/descriptor")
    Select(driver.find_element(By.ID, "install-room")).select_by_value(str(LOBBY))
    driver.find_element(By.ID, "install").click()

    notice = wait(driver).until(ec.presence_of_element_located((By.ID, "notice")))
    assert "Installed Deploy Bot" in notice.text
    [installation] = emulator.state.addons.installations.all()
    article = driver.find_element(By.ID, f"inst-{installation.oauth_id}")
    assert "send_notification" in article.text
    assert "room_message" in article.text  # its webhooks

    article.find_element(By.CSS_SELECTOR, "button.uninstall").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "no-installations")))
    assert "Uninstalled com.example.deploybot" in driver.find_element(By.ID, "notice").text
    assert not driver.find_elements(By.ID, "warning")  # the bot acknowledged the DELETE
    assert emulator.state.addons.installations.all() == []


def test_a_refused_install_is_shown_in_words(
    driver: Any, emulator: EmulatorHandle, deploybot: LiveServer
) -> None:
    driver.get(f"{emulator.url}/addons")
    driver.find_element(By.ID, "descriptor-url").send_keys(f"{deploybot.url}/no-such-descriptor")
    driver.find_element(By.ID, "install").click()
    error = wait(driver).until(ec.presence_of_element_located((By.ID, "error")))
    assert "could not be read" in error.text
    assert "HTTP 404" in error.text


def test_room_page_is_readable_at_phone_width(driver: Any, emulator: EmulatorHandle) -> None:
    driver.viewport(390, 844)
    driver.get(f"{emulator.url}/rooms/{LOBBY}")
    assert driver.execute_script("return window.innerWidth;") == 390
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
    )
    assert overflow <= 0
    assert driver.find_element(By.ID, "message").is_displayed()
    assert driver.find_element(By.ID, "send").is_displayed()
