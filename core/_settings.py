"""Per-community settings that adapters and admins change at run time.

Adapters keep small facts here (the moderators' chat linked to a group, a Discord mod channel);
admins switch policy settings live (``shadow``, ``language``, ``notice_interval_seconds``... any
field of :class:`~core._policy.PolicySettings`), which the engine applies on top of the policy
files for that community from the next message on. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core._policy import PolicyError, PolicySettings
from core._store import Store

__all__ = ["Settings"]

_MAX_KEY = 64
_MAX_VALUE = 4096


class Settings:
    """:class:`~core.SettingsAPI` on the store, run on the engine's database thread."""

    def __init__(
        self,
        store: Store,
        run: Callable[..., Awaitable[Any]],
        on_change: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self._store = store
        self._run = run
        self._on_change = on_change

    async def get(self, platform: str, community_id: str, key: str) -> str | None:
        value: str | None = await self._run(self._store.get_setting, platform, community_id, key)
        return value

    async def set(self, platform: str, community_id: str, key: str, value: str | None) -> None:
        if not key or len(key) > _MAX_KEY:
            raise ValueError(f"setting key must be 1-{_MAX_KEY} characters")
        if value is not None and len(value) > _MAX_VALUE:
            raise ValueError(f"setting value longer than {_MAX_VALUE} characters")
        if value is not None and key in PolicySettings.model_fields:
            _check_policy_value(key, value)
        await self._run(self._store.set_setting, platform, community_id, key, value)
        if self._on_change is not None:
            self._on_change(platform, community_id, key)

    async def find(self, platform: str, key: str, value: str) -> list[str]:
        found: list[str] = await self._run(self._store.find_setting, platform, key, value)
        return found

    async def all(self, platform: str, community_id: str) -> dict[str, str]:
        values: dict[str, str] = await self._run(self._store.settings_for, platform, community_id)
        return values


def _check_policy_value(key: str, value: str) -> None:
    """Reject a policy setting that would not validate, before it is stored."""
    from core._policy import Policy

    try:
        Policy.from_dict({}).for_community("check", "check", {key: value})
    except PolicyError as exc:
        raise ValueError(f"invalid value for {key}: {exc.problem}") from None
