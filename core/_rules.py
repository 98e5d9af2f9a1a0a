"""Rules: conditions over a message, its verdict, its author and its place; effects when they hold.

A :class:`~core._policy.RuleSpec` is validated configuration; :func:`compile_rules` turns it into a
:class:`CompiledRule` once per community (regexes compiled with google-re2, label and channel sets
frozen) so evaluating a message is a handful of attribute checks. Rules only *record*
:class:`~core._effects.Effect` values; merging, quotas and dispatch belong to the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import re2

from core._effects import Effect
from core._model import IncomingEvent
from core._policy import PolicySettings, RuleSpec
from core._verdict import Verdict

__all__ = ["CompiledRule", "RuleContext", "compile_rules", "evaluate_rules"]

# RE2 over hostile input: linear time, and bounded memory for the compiled program.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.max_mem = 8 << 20


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What rules can look at for one message."""

    event: IncomingEvent
    verdict: Verdict
    surface: str  # the text regexes run on: NFKC + casefold + invisible characters stripped
    settings: PolicySettings
    blocklisted: bool = False  # the normalised text's hash is on the community's block list
    indicators: tuple[str, ...] = ()  # entity values that are known indicators here


class CompiledRule:
    """A rule ready to evaluate. Conditions are checked cheapest first."""

    __slots__ = (
        "_any_entities",
        "_channels",
        "_entities",
        "_exclude_channels",
        "_labels",
        "_langs",
        "_regexes",
        "spec",
    )

    def __init__(self, spec: RuleSpec) -> None:
        self.spec = spec
        w = spec.when
        self._labels = frozenset(w.label) if w.label else None
        self._langs = frozenset(w.lang) if w.lang else None
        self._channels = frozenset(w.channels) if w.channels is not None else None
        self._exclude_channels = frozenset(w.exclude_channels)
        self._entities = frozenset(w.entities)
        self._any_entities = frozenset(w.any_entities)
        self._regexes: tuple[Any, ...] = tuple(
            re2.compile(p, options=_RE2_OPTIONS) for p in w.regex
        )

    @property
    def id(self) -> str:
        return self.spec.id

    def matches(self, ctx: RuleContext) -> bool:
        w = self.spec.when
        v = ctx.verdict
        ev = ctx.event
        if self._labels is not None and str(v.label) not in self._labels:
            return False
        if w.min_score is not None and v.score < w.min_score:
            return False
        if w.max_score is not None and v.score > w.max_score:
            return False
        if self._langs is not None and v.lang not in self._langs:
            return False
        if self._channels is not None and ev.channel_id not in self._channels:
            return False
        if ev.channel_id in self._exclude_channels:
            return False
        if w.edited is not None and ev.edited != w.edited:
            return False
        if w.imminent is not None and v.imminent != w.imminent:
            return False
        if w.author_moderator is not None and ev.author.is_moderator != w.author_moderator:
            return False
        if w.author_new is not None:
            age = ev.author.account_age_days
            # Unknown age is not "new": a platform that does not tell must not make everyone new.
            is_new = age is not None and age < ctx.settings.new_account_days
            if is_new != w.author_new:
                return False
        if w.blocklisted is not None and ctx.blocklisted != w.blocklisted:
            return False
        if w.indicator is not None and bool(ctx.indicators) != w.indicator:
            return False
        if self._entities or self._any_entities:
            kinds = {e.kind for e in v.entities}
            if not self._entities <= kinds:
                return False
            if self._any_entities and not (self._any_entities & kinds):
                return False
        if self._regexes:
            text = ctx.surface
            if not any(r.search(text) for r in self._regexes):
                return False
        return True

    def effects(self, ctx: RuleContext) -> list[Effect]:
        spec = self.spec
        priority = (
            "urgent" if ctx.verdict.imminent and "escalate" in spec.actions else spec.priority
        )
        out = []
        for action in spec.actions:
            params: dict[str, Any] = {}
            if action == "timeout":
                params["seconds"] = spec.timeout_seconds or ctx.settings.timeout_seconds
            out.append(
                Effect(
                    str(action), (spec.id,), shadow=spec.shadow, priority=priority, params=params
                )
            )
        return out


def compile_rules(rules: Sequence[RuleSpec]) -> tuple[CompiledRule, ...]:
    return tuple(CompiledRule(r) for r in rules if r.enabled)


def evaluate_rules(rules: Sequence[CompiledRule], ctx: RuleContext) -> list[Effect]:
    """Every effect of every rule that fires, in rule order (``stop`` ends the evaluation)."""
    out: list[Effect] = []
    for rule in rules:
        if rule.matches(ctx):
            out.extend(rule.effects(ctx))
            if rule.spec.stop:
                break
    return out
