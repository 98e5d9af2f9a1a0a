"""Policy: the rules, settings and quotas in force, from ``config/policy.toml`` plus overrides.

The shipped ``config/policy.toml`` holds the defaults for every community. A directory of override
files (``config/policy.d/*.toml`` by default) adjusts them per community, the way list-level
settings with per-filter overrides work in python-discord's filtering: an override names its
community and changes only what it mentions::

    [community]
    platform = "telegram"
    id = "-1001234567890"

    [settings]            # any default setting: shadow, language, notice_interval_seconds...
    language = "ar"

    [quotas]
    ban = 0               # never ban automatically here: bans become escalations

    [rules.offer]         # patch the default rule with id "offer"
    when = { min_score = 0.7 }
    actions = ["hide", "escalate"]

    [[extra_rules]]       # rules only this community has
    id = "local-regex"
    when = { regex = ["(?i)vip\\s*lorry"] }
    actions = ["hide", "escalate"]

    [texts.ar]            # per-community redirect texts (see config/redirect/)
    public_notice = "..."

Everything is validated by pydantic; a mistake raises :class:`PolicyError` naming the file, the
key and the problem (``policy.d/x.toml: rules.offer.when.min_score: Input should be less than or
equal to 1``). Admin regular expressions are compiled with google-re2, which runs in linear time
and rejects backreferences and lookaround at load time, so no pattern can hang the engine.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, get_origin

import re2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "ActionName",
    "CommunityPolicy",
    "Conditions",
    "Policy",
    "PolicyError",
    "PolicySettings",
    "Quotas",
    "RuleSpec",
    "default_config_dir",
]

Priority = Literal["urgent", "high", "normal"]
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
ENTITY_KINDS = frozenset({"price", "phone", "contact", "link", "time", "place"})


def default_config_dir() -> Path:
    """The ``config/`` directory shipped with the package."""
    return Path(__file__).resolve().parent.parent / "config"


class PolicyError(ValueError):
    """A policy or override file is invalid. The message names the file, the key and the problem."""

    def __init__(self, file: str | Path, key: str, problem: str) -> None:
        self.file = str(file)
        self.key = key
        self.problem = problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


class ActionName(StrEnum):
    HIDE = "hide"
    NOTICE = "notice"  # public redirect notice where the hidden post was
    REDIRECT_PRIVATE = "redirect_private"  # the private help message to a seeker
    STATEMENT = "statement"  # the private statement of reasons to the poster of a hidden post
    ESCALATE = "escalate"  # a case for human review, with a card to the moderators' place
    TIMEOUT = "timeout"
    BAN = "ban"
    LOG = "log"  # recorded and audited only


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Conditions(_Strict):
    """What a rule can test. All given conditions must hold; an empty ``when`` always does."""

    label: list[Literal["offer", "seeking", "none"]] | None = None
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    max_score: float | None = Field(default=None, ge=0.0, le=1.0)
    lang: list[str] | None = None
    entities: list[str] = Field(
        default_factory=list, description="entity kinds that must all be present"
    )
    any_entities: list[str] = Field(default_factory=list, description="at least one of these kinds")
    imminent: bool | None = None
    indicator: bool | None = Field(
        default=None, description="a contact entity is a known community indicator"
    )
    blocklisted: bool | None = Field(
        default=None, description="the normalised text is on the block list"
    )
    regex: list[str] = Field(
        default_factory=list, description="RE2 patterns, any match on the text"
    )
    author_new: bool | None = Field(
        default=None, description="account younger than new_account_days"
    )
    author_moderator: bool | None = None
    channels: list[str] | None = None
    exclude_channels: list[str] = Field(default_factory=list)
    edited: bool | None = None

    @field_validator("label", "lang", "channels", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("entities", "any_entities")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ENTITY_KINDS)
        if unknown:
            raise ValueError(f"unknown entity kind(s) {unknown}; known: {sorted(ENTITY_KINDS)}")
        return value

    @field_validator("regex")
    @classmethod
    def _re2_compiles(cls, value: list[str]) -> list[str]:
        for i, pattern in enumerate(value):
            try:
                re2.compile(pattern)
            except Exception as exc:  # re2.error: backreference, lookaround, bad syntax
                raise ValueError(f"pattern {i} {pattern!r} is not valid RE2: {exc}") from None
        return value

    @model_validator(mode="after")
    def _score_range(self) -> Conditions:
        if (
            self.min_score is not None
            and self.max_score is not None
            and self.min_score > self.max_score
        ):
            raise ValueError("min_score is greater than max_score")
        return self


class RuleSpec(_Strict):
    """One rule: conditions over the verdict, the message and its author, and the effects."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    enabled: bool = True
    shadow: bool = False  # evaluated and recorded, never carried out
    when: Conditions = Field(default_factory=Conditions)
    actions: list[ActionName] = Field(min_length=1)
    priority: Priority = "normal"  # for ``escalate``; an imminent departure makes it urgent
    timeout_seconds: int | None = Field(default=None, ge=1, le=28 * 86400)
    stop: bool = False  # later rules are not evaluated when this one fires


class PolicySettings(_Strict):
    """Community-level settings; every one can be overridden per community."""

    shadow: bool = False  # the whole community in shadow mode
    language: str = "en"  # the community's language: fallback for notices
    languages: list[str] = Field(
        default_factory=list, description="restrict texts to these languages"
    )
    notice_interval_seconds: float = Field(default=120.0, ge=0.0)
    exempt_moderators: bool = True
    exempt_bots: bool = True
    exempt_roles: list[str] = Field(default_factory=list)
    exempt_channels: list[str] = Field(default_factory=list)
    new_account_days: float = Field(default=7.0, ge=0.0)
    timeout_seconds: int = Field(default=3600, ge=1, le=28 * 86400)
    retention_days: float = Field(default=30.0, ge=0.0)
    automated_statement: bool = True  # the statement of reasons says an automated system decided
    # How to appeal, in the statement of reasons. None: each language's own `appeal_default`
    # phrase from config/redirect/, so the poster reads it in the language of the statement.
    appeal: str | None = None
    max_text_chars: int = Field(default=100_000, ge=1000)  # longer posts are stored truncated


class Quotas(_Strict):
    """Daily circuit breakers per community (UTC day). ``None`` means no limit.

    When an action would exceed its quota it becomes an escalation instead: a bug or an attack
    that makes the engine want to ban half a community ends up in front of a human.
    """

    hide: int | None = Field(default=None, ge=0)
    timeout: int | None = Field(default=50, ge=0)
    ban: int | None = Field(default=10, ge=0)
    notice: int | None = Field(default=None, ge=0)

    def limit(self, action: str) -> int | None:
        value = getattr(self, action, None)
        return value if isinstance(value, int) else None


class _PolicyFile(_Strict):
    settings: PolicySettings = Field(default_factory=PolicySettings)
    quotas: Quotas = Field(default_factory=Quotas)
    rules: list[RuleSpec] = Field(default_factory=list)
    texts: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> _PolicyFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self


class _CommunityRef(_Strict):
    platform: str = Field(min_length=1)
    id: str = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


@dataclass(frozen=True)
class CommunityPolicy:
    """The resolved policy for one community: defaults, then its override file, then settings."""

    platform: str
    community_id: str
    settings: PolicySettings
    quotas: Quotas
    rules: tuple[RuleSpec, ...]
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def describe(self) -> tuple[str, ...]:
        """One line per enabled rule, for ``/status`` commands."""
        lines = []
        for rule in self.rules:
            if not rule.enabled:
                continue
            w = rule.when
            conds = []
            if w.label:
                conds.append("/".join(w.label))
            if w.min_score is not None:
                conds.append(f">= {w.min_score:g}")
            if w.indicator:
                conds.append("known contact")
            if w.blocklisted:
                conds.append("block list")
            if w.regex:
                conds.append(f"{len(w.regex)} pattern(s)")
            if w.entities:
                conds.append("has " + "+".join(w.entities))
            if w.author_new:
                conds.append("new account")
            acts = ", ".join(str(a) for a in rule.actions)
            flag = " [shadow]" if rule.shadow else ""
            lines.append(f"{rule.id}: {' '.join(conds) or 'always'} -> {acts}{flag}")
        return tuple(lines)


def _deep_merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(path, "", f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise PolicyError(path, "", f"cannot be read: {exc.strerror or exc}") from None


def _raise_validation(
    path: Path, exc: ValidationError, data: Mapping[str, Any], prefix: str = ""
) -> None:
    err = exc.errors()[0]
    parts: list[str] = [prefix] if prefix else []
    loc = list(err["loc"])
    # Name list entries by their rule id when there is one: "rules[offer].when.min_score".
    node: Any = data
    for item in loc:
        if isinstance(item, int) and parts:
            entry = node[item] if isinstance(node, list) and item < len(node) else None
            rule_id = entry.get("id") if isinstance(entry, dict) else None
            parts[-1] += f"[{rule_id}]" if isinstance(rule_id, str) else f"[{item}]"
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
    raise PolicyError(path, ".".join(parts), msg + more) from None


class Policy:
    """The default policy plus per-community overrides, validated at load time."""

    def __init__(
        self,
        defaults: _PolicyFile,
        overrides: Mapping[tuple[str, str], tuple[Path, dict[str, Any]]],
        *,
        source: Path | None = None,
    ) -> None:
        self.defaults = defaults
        self._overrides = dict(overrides)
        self.source = source
        self._resolved: dict[tuple[str, str], CommunityPolicy] = {}

    @classmethod
    def load(
        cls, path: str | Path | None = None, overrides_dir: str | Path | None = None
    ) -> Policy:
        """Load ``path`` (default: the shipped ``config/policy.toml``) and every override file."""
        path = Path(path) if path is not None else default_config_dir() / "policy.toml"
        data = _read_toml(path)
        try:
            defaults = _PolicyFile.model_validate(data)
        except ValidationError as exc:
            _raise_validation(path, exc, data)
            raise  # unreachable: _raise_validation always raises
        overrides: dict[tuple[str, str], tuple[Path, dict[str, Any]]] = {}
        if overrides_dir is not None and Path(overrides_dir).is_dir():
            for file in sorted(Path(overrides_dir).glob("*.toml")):
                key, body = cls._check_override(file, _read_toml(file), defaults)
                if key in overrides:
                    raise PolicyError(
                        file,
                        "community",
                        f"{key[0]}:{key[1]} is already overridden by {overrides[key][0]}",
                    )
                overrides[key] = (file, body)
        return cls(defaults, overrides, source=path)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, name: str = "<policy>") -> Policy:
        """Build a policy from a mapping (tests, the dashboard's policy editor)."""
        try:
            return cls(_PolicyFile.model_validate(dict(data)), {})
        except ValidationError as exc:
            _raise_validation(Path(name), exc, data)
            raise

    @staticmethod
    def _check_override(
        file: Path, data: dict[str, Any], defaults: _PolicyFile
    ) -> tuple[tuple[str, str], dict[str, Any]]:
        allowed = {"community", "settings", "quotas", "rules", "extra_rules", "texts"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise PolicyError(file, unknown[0], f"unknown table; expected one of {sorted(allowed)}")
        try:
            community = _CommunityRef.model_validate(data.get("community"))
        except ValidationError as exc:
            _raise_validation(file, exc, data.get("community") or {}, "community")
            raise
        rules = data.get("rules", {})
        if not isinstance(rules, dict):
            raise PolicyError(
                file, "rules", "must be a table of patches keyed by rule id: [rules.<id>]"
            )
        known = {r.id for r in defaults.rules}
        for rule_id in rules:
            if rule_id not in known:
                raise PolicyError(
                    file, f"rules.{rule_id}", f"no default rule has this id; known: {sorted(known)}"
                )
        body = {k: v for k, v in data.items() if k != "community"}
        key = (community.platform, community.id)
        # Validate now, so a broken override fails at startup and not on the first message.
        Policy(defaults, {key: (file, body)})._resolve(key)
        return key, body

    def communities(self) -> list[tuple[str, str]]:
        return sorted(self._overrides)

    def _resolve(self, key: tuple[str, str]) -> CommunityPolicy:
        base = self.defaults.model_dump(mode="json")
        sources: list[str] = [str(self.source)] if self.source else []
        if key not in self._overrides:
            return CommunityPolicy(
                key[0],
                key[1],
                self.defaults.settings,
                self.defaults.quotas,
                tuple(self.defaults.rules),
                self.defaults.texts,
                tuple(sources),
            )
        file, body = self._overrides[key]
        sources.append(str(file))
        merged: dict[str, Any] = {
            "settings": _deep_merge(base["settings"], body.get("settings", {})),
            "quotas": _deep_merge(base["quotas"], body.get("quotas", {})),
            "texts": _deep_merge(base["texts"], body.get("texts", {})),
        }
        patches = body.get("rules", {})
        rules = [_deep_merge(r, patches.get(r["id"], {})) for r in base["rules"]]
        extra = body.get("extra_rules", [])
        if not isinstance(extra, list):
            raise PolicyError(file, "extra_rules", "must be an array of tables: [[extra_rules]]")
        merged["rules"] = rules + list(extra)
        try:
            resolved = _PolicyFile.model_validate(merged)
        except ValidationError as exc:
            # Point at the override's own key, not at the merged document.
            err = exc.errors()[0]
            loc = list(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in loc)
            if len(loc) > 1 and loc[0] == "rules" and isinstance(loc[1], int):
                idx, n_base = loc[1], len(base["rules"])
                rest = "".join(f".{p}" for p in loc[2:])
                if idx < n_base:
                    where = f"rules.{base['rules'][idx]['id']}{rest}"
                else:
                    entry = extra[idx - n_base]
                    label = entry.get("id") if isinstance(entry, dict) else None
                    where = (
                        f"extra_rules[{label if isinstance(label, str) else idx - n_base}]{rest}"
                    )
            raise PolicyError(file, where, msg) from None
        return CommunityPolicy(
            key[0],
            key[1],
            resolved.settings,
            resolved.quotas,
            tuple(resolved.rules),
            resolved.texts,
            tuple(sources),
        )

    def for_community(
        self, platform: str, community_id: str, runtime: Mapping[str, str] | None = None
    ) -> CommunityPolicy:
        """The policy for one community; ``runtime`` holds settings changed live (``/shadow``)."""
        key = (platform, community_id)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolve(key)
            self._resolved[key] = resolved
        if not runtime:
            return resolved
        patch: dict[str, Any] = {}
        fields = PolicySettings.model_fields
        for name, raw in runtime.items():
            if name not in fields:
                continue
            annotation = fields[name].annotation
            if annotation is bool:
                flag = raw.strip().lower()
                if flag not in _TRUE | _FALSE:
                    raise PolicyError("settings store", name, f"{raw!r} is not a yes/no value")
                patch[name] = flag in _TRUE
            elif get_origin(annotation) is list:
                patch[name] = [v.strip() for v in raw.split(",") if v.strip()]
            else:
                patch[name] = raw
        if not patch:
            return resolved
        try:
            settings = PolicySettings.model_validate(resolved.settings.model_dump() | patch)
        except ValidationError as exc:
            raise PolicyError(
                "settings store", ".".join(map(str, exc.errors()[0]["loc"])), exc.errors()[0]["msg"]
            ) from None
        return CommunityPolicy(
            platform,
            community_id,
            settings,
            resolved.quotas,
            resolved.rules,
            resolved.texts,
            (*resolved.sources, "settings store"),
        )
