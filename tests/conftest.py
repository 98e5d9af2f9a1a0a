"""Shared test fixtures. Tests mirror the source tree: tests/core, tests/adapters, tests/bots."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """``../shared/corpora`` beside the repo; tests that need it skip where it is absent."""
    if not CORPORA.is_dir():
        pytest.skip(f"{CORPORA} is absent: the real-tweet checks need ../shared beside the repo")
    return CORPORA
