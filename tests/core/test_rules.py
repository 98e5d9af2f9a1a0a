"""Every rule condition, and the effect pipeline: merge/dedupe, quotas, platform degradation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from core import Capability, Entity, Label, Verdict
from core._effects import UNDELIVERABLE, Effect, apply_quotas, degrade, merge_effects
from core._policy import PolicySettings, RuleSpec
from core._rules import CompiledRule, RuleContext, compile_rules, evaluate_rules
from tests.core._engine_fixtures import event

SETTINGS = PolicySettings()


def verdict(
    label: Label = Label.OFFER,
    score: float = 0.9,
    lang: str = "en",
    kinds: tuple[str, ...] = (),
    imminent: bool = False,
) -> Verdict:
    ents = tuple(Entity(k, f"{k}-value", k) for k in kinds)
    return Verdict(label=label, score=score, lang=lang, entities=ents, imminent=imminent)


def rule(when: dict[str, Any], actions: tuple[str, ...] = ("hide",), **kw: Any) -> CompiledRule:
    return CompiledRule(
        RuleSpec.model_validate({"id": "r", "when": when, "actions": actions, **kw})
    )


def ctx(
    v: Verdict | None = None,
    *,
    text: str = "hello",
    blocklisted: bool = False,
    indicators: tuple[str, ...] = (),
    **event_kw: Any,
) -> RuleContext:
    return RuleContext(
        event=event(text, **event_kw),
        verdict=v or verdict(),
        surface=text.casefold(),
        settings=SETTINGS,
        blocklisted=blocklisted,
        indicators=indicators,
    )


def test_empty_when_always_matches() -> None:
    assert rule({}).matches(ctx())


@pytest.mark.parametrize(
    ("when", "context", "expected"),
    [
        ({"label": "offer"}, ctx(verdict(Label.OFFER)), True),
        ({"label": "offer"}, ctx(verdict(Label.SEEKING)), False),
        ({"label": ["offer", "seeking"]}, ctx(verdict(Label.SEEKING)), True),
        ({"min_score": 0.8}, ctx(verdict(score=0.85)), True),
        ({"min_score": 0.8}, ctx(verdict(score=0.79)), False),
        ({"max_score": 0.5}, ctx(verdict(score=0.6)), False),
        ({"lang": "ar"}, ctx(verdict(lang="ar")), True),
        ({"lang": ["fa", "ps"]}, ctx(verdict(lang="ar")), False),
        ({"entities": ["phone"]}, ctx(verdict(kinds=("phone", "price"))), True),
        ({"entities": ["phone", "link"]}, ctx(verdict(kinds=("phone",))), False),
        ({"any_entities": ["link", "contact"]}, ctx(verdict(kinds=("contact",))), True),
        ({"any_entities": ["link", "contact"]}, ctx(verdict(kinds=("price",))), False),
        ({"imminent": True}, ctx(verdict(imminent=True)), True),
        ({"imminent": True}, ctx(verdict()), False),
        ({"indicator": True}, ctx(indicators=("+447700900123",)), True),
        ({"indicator": True}, ctx(), False),
        ({"indicator": False}, ctx(), True),
        ({"blocklisted": True}, ctx(blocklisted=True), True),
        ({"blocklisted": True}, ctx(), False),
        ({"author_moderator": False}, ctx(moderator=True), False),
        ({"author_moderator": True}, ctx(moderator=True), True),
        ({"author_new": True}, ctx(age=2.0), True),
        ({"author_new": True}, ctx(age=30.0), False),
        ({"author_new": True}, ctx(age=None), False),  # unknown age is not "new"
        ({"author_new": False}, ctx(age=None), True),
        ({"channels": ["ch1"]}, ctx(channel="ch1"), True),
        ({"channels": "ch2"}, ctx(channel="ch1"), False),
        ({"exclude_channels": ["ch1"]}, ctx(channel="ch1"), False),
        ({"edited": True}, ctx(edited=True), True),
        ({"edited": True}, ctx(edited=False), False),
        ({"regex": ["vip\\s*lorry"]}, ctx(text="VIP  Lorry tonight"), True),
        ({"regex": ["vip\\s*lorry", "^nothing$"]}, ctx(text="boat"), False),
        ({"regex": ["\\p{Arabic}+ لندن"]}, ctx(text="سفر لندن"), True),
    ],
)
def test_condition(when: dict[str, Any], context: RuleContext, expected: bool) -> None:
    assert rule(when).matches(context) is expected


def test_conditions_combine_with_and() -> None:
    r = rule({"label": "offer", "min_score": 0.5, "entities": ["phone"], "channels": ["ch1"]})
    assert r.matches(ctx(verdict(kinds=("phone",))))
    assert not r.matches(ctx(verdict(kinds=("phone",)), channel="ch9"))
    assert not r.matches(ctx(verdict(score=0.4, kinds=("phone",))))


def test_hostile_admin_regex_runs_in_linear_time() -> None:
    r = rule({"regex": ["(a+)+$", "(a|aa)+$", "(.*a){20}"]})
    hostile = "a" * 100_000 + "b"
    t0 = time.perf_counter()
    r.matches(ctx(text=hostile))
    assert time.perf_counter() - t0 < 1.0  # Python's re would run for years


def test_escalate_priority_becomes_urgent_for_imminent_departures() -> None:
    r = rule({}, ("hide", "escalate"), priority="high")
    assert {e.priority for e in r.effects(ctx(verdict(imminent=True)))} == {"urgent"}
    assert {e.priority for e in r.effects(ctx(verdict()))} == {"high"}


def test_timeout_seconds_from_rule_or_settings() -> None:
    (e,) = rule({}, ("timeout",), timeout_seconds=60).effects(ctx())
    assert e.params["seconds"] == 60
    (e,) = rule({}, ("timeout",)).effects(ctx())
    assert e.params["seconds"] == SETTINGS.timeout_seconds


def test_evaluate_in_order_with_stop_and_disabled_rules() -> None:
    specs = [
        RuleSpec.model_validate(
            {"id": "a", "actions": ["hide"], "stop": True, "when": {"label": "offer"}}
        ),
        RuleSpec.model_validate({"id": "b", "actions": ["ban"]}),
        RuleSpec.model_validate({"id": "c", "actions": ["log"], "enabled": False}),
    ]
    rules = compile_rules(specs)
    assert [r.id for r in rules] == ["a", "b"]
    assert [e.action for e in evaluate_rules(rules, ctx())] == ["hide"]  # "a" stops
    assert [e.action for e in evaluate_rules(rules, ctx(verdict(Label.NONE)))] == ["ban"]


# -- effects -------------------------------------------------------------------------------


def test_merge_keeps_one_effect_per_action_in_dispatch_order() -> None:
    merged = merge_effects(
        [
            Effect("escalate", ("a",), priority="normal"),
            Effect("hide", ("a",)),
            Effect("hide", ("b",)),
            Effect("escalate", ("b",), priority="urgent"),
            Effect("timeout", ("a",), params={"seconds": 60}),
            Effect("timeout", ("b",), params={"seconds": 600}),
        ]
    )
    assert [e.action for e in merged] == ["hide", "timeout", "escalate"]
    assert merged[0].rules == ("a", "b")
    assert merged[1].params["seconds"] == 600
    assert merged[2].priority == "urgent"


def test_merge_live_effect_beats_shadow() -> None:
    (e,) = merge_effects([Effect("hide", ("trial",), shadow=True), Effect("hide", ("live",))])
    assert not e.shadow and e.rule == "live"
    (e,) = merge_effects(
        [Effect("hide", ("t1",), shadow=True), Effect("hide", ("t2",), shadow=True)]
    )
    assert e.shadow


def test_quota_trips_into_escalation() -> None:
    effects = merge_effects([Effect("hide", ("r",)), Effect("ban", ("r",))])
    used = {"ban": 3}
    out = apply_quotas(effects, {"ban": 3}.get, lambda a: used.get(a, 0))
    assert [e.action for e in out] == ["hide", "escalate"]
    assert out[1].note is not None and "quota" in out[1].note
    # Under the quota, unlimited actions, and shadow effects are untouched.
    assert apply_quotas(effects, {"ban": 4}.get, lambda a: used.get(a, 0)) == effects
    shadow = (Effect("ban", ("r",), shadow=True),)
    assert apply_quotas(shadow, {"ban": 0}.get, lambda a: 99) == shadow


def test_degrade_to_platform_capabilities() -> None:
    effects = merge_effects(
        [
            Effect("hide", ("r",)),
            Effect("statement", ("r",)),
            Effect("redirect_private", ("s",)),
            Effect("ban", ("r",)),
        ]
    )
    caps = frozenset(Capability) - {Capability.PRIVATE_MESSAGE, Capability.BAN}
    out = degrade(effects, caps)
    notices = [e for e in out if e.action == "notice"]
    # Public texts instead of the private ones, never the private text itself.
    assert sorted(e.params["text_kind"] for e in notices) == ["public_notice", "seeker_help_public"]
    assert [e.action for e in out if e.action != "notice"] == [
        "hide",
        "statement",
        "redirect_private",
        "escalate",
    ]
    assert all(
        UNDELIVERABLE in e.params for e in out if e.action in ("statement", "redirect_private")
    )
    # An offer's own public notice and the one standing in for its statement are one notice.
    with_notice = degrade(merge_effects([*effects, Effect("notice", ("r",))]), caps)
    assert [
        e.params.get("text_kind", "public_notice") for e in with_notice if e.action == "notice"
    ] == [
        "public_notice",
        "seeker_help_public",
    ]
    assert degrade(effects, frozenset(Capability)) == effects
    no_hide = degrade((Effect("hide", ("r",)),), frozenset({Capability.ESCALATE}))
    assert [e.action for e in no_hide] == ["escalate"]
