"""Shipped data: default policy, language packs (``lang/``) and redirect texts (``redirect/``).

The files are data, not code, so admins can read and override them. Code finds them through
:data:`CONFIG_DIR`; ``CHANNELWATCH_CONFIG_DIR`` points at another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CONFIG_DIR", "config_dir"]

CONFIG_DIR = Path(__file__).resolve().parent


def config_dir() -> Path:
    """Where to read shipped data from: ``$CHANNELWATCH_CONFIG_DIR`` or :data:`CONFIG_DIR`."""
    override = os.environ.get("CHANNELWATCH_CONFIG_DIR")
    return Path(override) if override else CONFIG_DIR
