"""Pytest fixtures of the publish tests, loaded with ``pytest_plugins = ["fakes.fixtures"]``.

They live here because ``tests/conftest.py`` is shared with other areas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.github_server import FakeGitHub
from fakes.publishing import TOKEN, write_artifacts


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture
def publish_artifacts(tmp_path: Path) -> list[Path]:
    return write_artifacts(tmp_path / "dist")
