from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.dashboard.browser import launch_chromium
from tests.live_hub import LiveHub

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser(live_hub: LiveHub) -> Iterator[Browser]:
    """One Chromium per module (and per hub: Playwright's sync API keeps an event loop running in this thread
    while the browser is open, so the hub and its database are set up before it starts)."""
    yield from launch_chromium()
