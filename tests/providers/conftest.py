"""Adapter tests talk only to loopback: any other host fails the test (SDK look-ups included)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _loopback_only(loopback_only) -> None:
    """Apply tests.conftest.loopback_only to every test in this folder."""
