"""Settings are read through typed accessors that check the declared type."""

from __future__ import annotations

import pytest

from bosun.base.config import Config, ConfigError


def config() -> Config:
    return Config(
        {"a.n": 3, "a.f": 1.5, "a.b": True, "a.s": "x", "a.e": "", "a.l": ["p", "q"]}, {}
    )


def test_each_accessor_returns_its_type() -> None:
    c = config()
    assert (c.integer("a.n"), c.number("a.n"), c.number("a.f")) == (3, 3.0, 1.5)
    assert (c.flag("a.b"), c.text("a.s"), c.words("a.l")) == (True, "x", ["p", "q"])
    assert (c.optional_text("a.e"), c.optional_text("a.s")) == (None, "x")


@pytest.mark.parametrize(("read", "key"), [
    (Config.integer, "a.f"), (Config.integer, "a.b"), (Config.number, "a.s"),
    (Config.flag, "a.n"), (Config.text, "a.l"), (Config.words, "a.s"),
])
def test_reading_a_setting_as_another_type_names_it(read, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=f"setting '{key}' holds"):
        read(config(), key)


def test_the_words_accessor_returns_a_copy() -> None:
    c = config()
    c.words("a.l").append("z")
    assert c.words("a.l") == ["p", "q"]


def test_every_accessor_in_the_source_matches_the_declared_type() -> None:
    """`ctx.config.integer("merge_queue.batch_floor")` on a setting declared "float" would fail
    only at run time; this reads every literal key in src/ and checks it against its declaration."""
    import re
    from pathlib import Path

    from bosun.base.config import all_settings

    allowed = {"integer": {"int"}, "number": {"int", "float", "duration"}, "flag": {"bool"},
               "text": {"str", "choice"}, "optional_text": {"str", "choice"}, "words": {"list"}}
    declared = all_settings()
    src = Path(__file__).resolve().parents[3] / "src" / "bosun"
    call = re.compile(r'\.(integer|number|flag|text|optional_text|words)\("([a-z_.]+)"\)')
    checked, wrong = 0, []
    for path in src.rglob("*.py"):
        for accessor, key in call.findall(path.read_text()):
            if key in declared:
                checked += 1
                kind = declared[key].type
                if kind not in allowed[accessor]:
                    wrong.append(f"{path.name}: {accessor}({key!r}) but declared {kind}")
    assert checked > 50 and wrong == []
