import pytest

from bosun.base.errors import InvalidName
from bosun.base.names import check_name, check_text, split_identity


@pytest.mark.parametrize("name", ["toast", "impl_auth", "a", "run-1.2", "0abc", "x" * 63])
def test_valid_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "../x", "A B", "Toast", "x" * 64, "x" * 200, "a/b", "a..b", "-lead", ".hidden",
             "é", "a b"],
)
def test_invalid_names_are_refused_with_a_hint(name: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_name(name)
    assert "invalid name" in info.value.message
    assert "lowercase" in info.value.hint


def test_identity_refs_split_into_checked_parts() -> None:
    assert split_identity("polecat/toast") == ("polecat", "toast")
    for bad in ("polecat", "a/b/c", "/toast", "A/b"):
        with pytest.raises(InvalidName):
            split_identity(bad)


def test_text_over_the_limit_is_refused_not_truncated() -> None:
    assert check_text("x" * 10, "note", 10) == "x" * 10
    with pytest.raises(InvalidName) as info:
        check_text("x" * 11, "note", 10)
    assert info.value.code == "too_large"
