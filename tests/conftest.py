"""Shared fixtures live in addon/testing.py (a pytest plugin); this file holds suite-wide hooks.

Tests marked ``postgres`` or ``redis`` need those services, which run here and in CI: they are
counted and the counts printed at the end, and a skipped one fails the run (they must execute).
"""

from __future__ import annotations

from collections import Counter

import pytest

SERVICES = {"postgres": "PostgreSQL", "redis": "Redis"}
_executed: Counter[str] = Counter()
_skipped: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the service-backed tests that ran (their call phase) or were skipped."""
    for marker in SERVICES:
        if marker not in report.keywords:
            continue
        if report.when == "call":
            _executed[marker] += 1
        elif report.skipped:
            _skipped[marker] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many PostgreSQL and Redis tests executed (and any that were skipped)."""
    for marker, name in SERVICES.items():
        line = f"{name} tests executed: {_executed[marker]}"
        if _skipped[marker]:
            line += f" (SKIPPED: {_skipped[marker]} - these must run; failing the session)"
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A skipped PostgreSQL or Redis test fails the run: the services are always available."""
    if sum(_skipped.values()) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
