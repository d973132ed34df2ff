"""Fixtures of the core tests."""

from __future__ import annotations

import pytest

from cs_core import snapshot


@pytest.fixture
def pinned(demo_con):
    """The demo workspace with its versions pinned, as a page run pins them (cs_core.snapshot);
    kept reads forgotten afterwards."""
    snapshot.pin(("test", id(demo_con)))
    yield demo_con
    snapshot.unpin()
    snapshot.clear()
