"""The pytest plugin's emulator handle: the fault helper add-on projects use in their tests."""

from __future__ import annotations

import pytest

from addon.hipchat import ConnectionFailedError, ServiceUnavailableError
from addon.testing import EmulatorHandle


def test_fault_makes_the_next_matching_calls_fail_then_clears(emulator: EmulatorHandle) -> None:
    client = emulator.client("view_group")
    client.max_retries = 0
    emulator.fault(r"^/v2/room/1$", status=503, method="GET")
    with pytest.raises(ServiceUnavailableError):
        client.room(1).get()
    assert client.room(1).get().data["id"] == 1
    emulator.fault(r"^/v2/room/1$", reset=True)
    with pytest.raises(ConnectionFailedError) as info:
        client.room(1).get()
    assert info.value.maybe_sent is True


def test_a_fault_the_emulator_refuses_fails_the_test_with_its_words(
    emulator: EmulatorHandle,
) -> None:
    with pytest.raises(AssertionError, match="regular expression"):
        emulator.fault("(", status=500)
