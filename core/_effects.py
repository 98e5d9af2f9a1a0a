"""Effects: what rules ask for, before the engine merges, limits and records them.

Rules never act. Each rule that fires records :class:`Effect` values; the engine then

1. merges them (:func:`merge_effects`): one ``hide`` per message however many rules fired, the
   highest escalation priority, the longest timeout, and a real effect beats a shadow one;
2. applies daily quotas (:func:`apply_quotas`): an action over its community's quota becomes an
   escalation, so a runaway rule ends up in front of a human rather than banning a community;
3. degrades to what the platform can do (:func:`degrade`): no private messages means a public
   channel notice instead (never the private text), no bans or timeouts means an escalation;
4. persists them in the outbox and dispatches them (``core._outbox``).

Each step is a pure function over tuples, so tests assert on recorded effects directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core._adapter import Capability

__all__ = [
    "ACTION_ORDER",
    "CAPABILITY_OF",
    "PUBLIC_INSTEAD",
    "UNDELIVERABLE",
    "Effect",
    "apply_quotas",
    "degrade",
    "merge_effects",
]

# Dispatch and display order: hiding comes first (latency matters), the case last.
ACTION_ORDER: tuple[str, ...] = (
    "hide",
    "notice",
    "statement",
    "redirect_private",
    "timeout",
    "ban",
    "escalate",
    "log",
)
_RANK = {name: i for i, name in enumerate(ACTION_ORDER)}
_PRIORITY_RANK = {"normal": 0, "high": 1, "urgent": 2}

# The capability each action needs: :func:`degrade` plans around a missing one, and the outbox
# records an action as skipped when its adapter lacks it (``restore`` is never a rule's effect:
# a dismissal queues it).
CAPABILITY_OF: Mapping[str, Capability] = {
    "hide": Capability.HIDE,
    "notice": Capability.NOTICE,
    "statement": Capability.PRIVATE_MESSAGE,
    "redirect_private": Capability.PRIVATE_MESSAGE,
    "timeout": Capability.TIMEOUT,
    "ban": Capability.BAN,
    "restore": Capability.RESTORE,
    "escalate": Capability.ESCALATE,
}


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing the engine should do about one message."""

    action: str
    rules: tuple[str, ...]
    shadow: bool = False
    priority: str = "normal"
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None  # why the effect differs from what the rule asked (quota, capability)

    @property
    def rule(self) -> str:
        return self.rules[0] if self.rules else ""


def _stronger_priority(a: str, b: str) -> str:
    return a if _PRIORITY_RANK.get(a, 0) >= _PRIORITY_RANK.get(b, 0) else b


def merge_effects(effects: Iterable[Effect]) -> tuple[Effect, ...]:
    """One effect per action, in :data:`ACTION_ORDER`.

    A real effect beats a shadow one (a shadow rule cannot suppress a live one); the merged
    effect remembers every rule that asked for it.
    """
    merged: dict[str, Effect] = {}
    for e in effects:
        cur = merged.get(e.action)
        if cur is None:
            merged[e.action] = e
            continue
        # The live rule is named first: it is the one the case and its precision figures count.
        first, second = (e, cur) if (cur.shadow and not e.shadow) else (cur, e)
        rules = first.rules + tuple(r for r in second.rules if r not in first.rules)
        params = dict(cur.params)
        for key, value in e.params.items():
            if key == "seconds" and isinstance(value, int | float):
                params[key] = max(int(value), int(params.get(key, 0)))
            else:
                params.setdefault(key, value)
        merged[e.action] = replace(
            cur,
            rules=rules,
            shadow=cur.shadow and e.shadow,
            priority=_stronger_priority(cur.priority, e.priority),
            params=params,
            note=cur.note or e.note,
        )
    return tuple(sorted(merged.values(), key=lambda e: _RANK.get(e.action, len(_RANK))))


def apply_quotas(
    effects: tuple[Effect, ...],
    limit: Callable[[str], int | None],
    used: Callable[[str], int],
) -> tuple[Effect, ...]:
    """Replace every live effect over its daily quota by an escalation.

    ``limit(action)`` is the community's quota (``None``: unlimited) and ``used(action)`` how
    many were recorded today. Shadow effects never count and never trip a quota.
    """
    out: list[Effect] = []
    tripped: list[Effect] = []
    for e in effects:
        cap = limit(e.action)
        if e.shadow or cap is None or e.action in ("escalate", "log") or used(e.action) < cap:
            out.append(e)
        else:
            tripped.append(e)
    if not tripped:
        return effects
    note = "daily quota reached for " + ", ".join(e.action for e in tripped)
    return merge_effects(
        [
            *out,
            Effect(
                "escalate", tuple(r for e in tripped for r in e.rules), priority="high", note=note
            ),
        ]
    )


# ``Effect.params`` key set by :func:`degrade` on a private message the platform cannot send:
# the engine records it as ``fallback`` with this reason instead of queueing it.
UNDELIVERABLE = "undeliverable"
# What the channel gets instead of a private message, as a redirect text kind. Never the private
# text itself: a poster's statement of reasons is personal (the channel gets the public notice,
# which the offer usually posted already), and a seeker's help message addresses one person (the
# channel gets a general help notice that names and addresses nobody).
PUBLIC_INSTEAD = {"statement": "public_notice", "redirect_private": "seeker_help_public"}


def degrade(effects: tuple[Effect, ...], capabilities: frozenset[Capability]) -> tuple[Effect, ...]:
    """Turn what the platform cannot do into what it can.

    * no private messages: ``statement`` and ``redirect_private`` stay, marked
      :data:`UNDELIVERABLE` (recorded, not sent), and the channel gets a public ``notice`` of
      the kind in :data:`PUBLIC_INSTEAD` (``params["text_kind"]``), rate-limited like any notice;
    * no timeout or ban: an escalation, so a human decides;
    * no hide: an escalation (the post stays up until a moderator acts);
    * anything else unsupported (notice, escalate) is kept and recorded as skipped at dispatch.
    """
    out: list[Effect] = []
    for e in effects:
        need = CAPABILITY_OF.get(e.action)
        if need is None or need in capabilities:
            out.append(e)
            continue
        if e.action in PUBLIC_INSTEAD:
            kind = PUBLIC_INSTEAD[e.action]
            has_notice = Capability.NOTICE in capabilities
            reason = "no private messages on this platform" + (
                f": the channel gets the {kind} notice instead" if has_notice else ""
            )
            out.append(replace(e, params={**e.params, UNDELIVERABLE: reason}, note=reason))
            if has_notice:
                out.append(
                    Effect(
                        "notice",
                        e.rules,
                        shadow=e.shadow,
                        priority=e.priority,
                        params={"text_kind": kind},
                        note=f"instead of {e.action}: no private messages here",
                    )
                )
        elif e.action in ("timeout", "ban", "hide"):
            out.append(
                replace(
                    e,
                    action="escalate",
                    priority=_stronger_priority(e.priority, "high"),
                    note=f"the platform cannot {e.action}: escalated instead",
                )
            )
        else:
            out.append(e)
    if out == list(effects):
        return effects
    # Several effects may have become notices or escalations: merge again, but keep notices of
    # different kinds (the public notice and the seekers' general help) apart.
    by_kind: dict[str, list[Effect]] = {}
    for e in out:
        if e.action == "notice":
            by_kind.setdefault(str(e.params.get("text_kind", "public_notice")), []).append(e)
    notices = [merge_effects(group)[0] for group in by_kind.values()]
    rest = merge_effects(e for e in out if e.action != "notice")
    return tuple(sorted((*rest, *notices), key=lambda e: _RANK.get(e.action, len(_RANK))))
