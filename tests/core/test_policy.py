"""Policy files: the shipped defaults, per-community overrides, runtime settings, and errors that
name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import Policy, PolicyError
from core._policy import default_config_dir


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_policy_is_what_the_issue_asks_for() -> None:
    pol = Policy.load()
    rules = {r.id: r for r in pol.defaults.rules}
    offer = rules["offer"]
    assert offer.when.label == ["offer"]
    assert [str(a) for a in offer.actions] == ["hide", "notice", "statement", "escalate"]
    seek = rules["seeking-help"]
    assert seek.when.label == ["seeking"] and [str(a) for a in seek.actions] == ["redirect_private"]
    # Nothing about seekers is escalated or punished by default.
    for r in pol.defaults.rules:
        if r.when.label and "seeking" in r.when.label:
            assert set(map(str, r.actions)) <= {"redirect_private", "notice", "log"}
    assert not any(r.when.label == ["none"] for r in pol.defaults.rules)
    assert pol.defaults.settings.exempt_moderators


def test_override_patches_only_what_it_names(tmp_path: Path) -> None:
    _write(
        tmp_path / "d" / "ar-group.toml",
        """
        [community]
        platform = "telegram"
        id = -1001234

        [settings]
        language = "ar"
        notice_interval_seconds = 10

        [quotas]
        ban = 0

        [rules.offer]
        when = { min_score = 0.8 }
        actions = ["hide", "escalate"]

        [rules.new-account-offer-timeout]
        enabled = false

        [[extra_rules]]
        id = "vip-lorry"
        when = { regex = ["vip\\\\s*lorry"] }
        actions = ["hide", "escalate"]

        [texts.ar]
        public_notice = "نص مخصص"
        """,
    )
    pol = Policy.load(overrides_dir=tmp_path / "d")
    assert pol.communities() == [("telegram", "-1001234")]
    cp = pol.for_community("telegram", "-1001234")
    rules = {r.id: r for r in cp.rules}
    assert rules["offer"].when.label == ["offer"] and rules["offer"].when.min_score == 0.8
    assert [str(a) for a in rules["offer"].actions] == ["hide", "escalate"]
    assert not rules["new-account-offer-timeout"].enabled
    assert "vip-lorry" in rules
    assert cp.settings.language == "ar" and cp.settings.notice_interval_seconds == 10
    assert cp.settings.exempt_moderators  # untouched default
    assert cp.quotas.ban == 0 and cp.quotas.timeout == 50
    assert cp.texts["ar"]["public_notice"] == "نص مخصص"
    # Other communities get the defaults.
    other = pol.for_community("telegram", "-999")
    assert {r.id: r for r in other.rules}["offer"].when.min_score is None


def test_runtime_settings_apply_on_top(tmp_path: Path) -> None:
    pol = Policy.load()
    cp = pol.for_community("discord", "1", {"shadow": "on", "exempt_roles": "a, b", "unknown": "x"})
    assert cp.settings.shadow and cp.settings.exempt_roles == ["a", "b"]
    with pytest.raises(PolicyError, match="shadow"):
        pol.for_community("discord", "1", {"shadow": "maybe"})
    with pytest.raises(PolicyError):
        pol.for_community("discord", "1", {"notice_interval_seconds": "-5"})


@pytest.mark.parametrize(
    ("body", "key", "problem"),
    [
        (
            '[[rules]]\nid = "x"\nactions = ["hide"]\nwhen = { min_score = 1.5 }\n',
            "rules[x].when.min_score",
            "less than or equal to 1",
        ),
        ('[[rules]]\nid = "x"\nactions = ["explode"]\n', "rules[x].actions[0]", "Input should be"),
        ('[[rules]]\nid = "x"\nactions = []\n', "rules[x].actions", "at least 1"),
        (
            '[[rules]]\nid = "x"\nactions = ["hide"]\nwhen = { regex = ["(a)\\\\1"] }\n',
            "rules[x].when.regex",
            "not valid RE2",
        ),
        (
            '[[rules]]\nid = "x"\nactions = ["hide"]\nwhen = { entities = ["phnoe"] }\n',
            "rules[x].when.entities",
            "unknown entity kind",
        ),
        (
            '[[rules]]\nid = "x"\nactions = ["hide"]\nwhen = { colour = "red" }\n',
            "rules[x].when.colour",
            "Extra inputs",
        ),
        ('[settings]\nnotice_interval_seconds = "often"\n', "settings.notice_interval_seconds", ""),
        (
            '[[rules]]\nid = "x"\nactions = ["hide"]\n[[rules]]\nid = "x"\nactions = ["log"]\n',
            "",
            "duplicate rule id",
        ),
    ],
)
def test_errors_name_file_key_and_problem(
    tmp_path: Path, body: str, key: str, problem: str
) -> None:
    path = _write(tmp_path / "policy.toml", body)
    with pytest.raises(PolicyError) as info:
        Policy.load(path)
    err = info.value
    assert err.file == str(path)
    assert err.key == key or (not key and problem in str(err))
    assert problem in err.problem
    assert str(path) in str(err)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "policy.toml", "[settings]\nshadow = \n")
    with pytest.raises(PolicyError, match=r"line 2"):
        Policy.load(path)


def test_override_errors_point_into_the_override_file(tmp_path: Path) -> None:
    d = tmp_path / "d"
    _write(
        d / "a.toml",
        '[community]\nplatform = "discord"\nid = "1"\n[rules.offer]\nwhen = { min_score = 7 }\n',
    )
    with pytest.raises(PolicyError) as info:
        Policy.load(overrides_dir=d)
    assert info.value.file == str(d / "a.toml") and info.value.key == "rules.offer.when.min_score"

    _write(
        d / "a.toml", '[community]\nplatform = "discord"\nid = "1"\n[rules.nope]\nenabled = false\n'
    )
    with pytest.raises(PolicyError, match="no default rule"):
        Policy.load(overrides_dir=d)

    _write(d / "a.toml", "[settings]\nshadow = true\n")
    with pytest.raises(PolicyError) as info:
        Policy.load(overrides_dir=d)
    assert info.value.key.startswith("community")

    _write(d / "a.toml", '[community]\nplatform = "discord"\nid = "1"\n[colours]\n')
    with pytest.raises(PolicyError, match="unknown table"):
        Policy.load(overrides_dir=d)

    _write(d / "a.toml", '[community]\nplatform = "discord"\nid = "1"\n')
    _write(d / "b.toml", '[community]\nplatform = "discord"\nid = "1"\n')
    with pytest.raises(PolicyError, match="already overridden"):
        Policy.load(overrides_dir=d)


def test_describe_lists_enabled_rules() -> None:
    lines = Policy.load().for_community("x", "y").describe()
    assert lines[0].startswith("offer: offer -> hide, notice, statement, escalate")
    assert any("[shadow]" in line for line in lines)


def test_shipped_override_dir_is_valid() -> None:
    Policy.load(overrides_dir=default_config_dir() / "policy.d")
