"""The playground: a local chat platform, built as a real adapter, for demos and tests.

``channelwatch run`` starts it with no token: rooms, simulated members (one of them an admin), a
web chat at ``/playground`` with live updates, and a "post samples" button fed from
``config/samples/playground.jsonl``.
"""

from adapters.playground._adapter import (
    COMMUNITY_ID,
    DEFAULT_ROOMS,
    DEFAULT_USERS,
    PLATFORM,
    PlaygroundAdapter,
    PostRefused,
    Room,
    Sample,
    SimUser,
    load_samples,
)
from adapters.playground._web import playground_app

__all__ = [
    "COMMUNITY_ID",
    "DEFAULT_ROOMS",
    "DEFAULT_USERS",
    "PLATFORM",
    "PlaygroundAdapter",
    "PostRefused",
    "Room",
    "Sample",
    "SimUser",
    "load_samples",
    "playground_app",
]
