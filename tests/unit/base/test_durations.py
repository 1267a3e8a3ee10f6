import pytest

from bosun.base.durations import parse_duration
from bosun.base.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("250ms", 0.25), ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), ("42", 42),
     (" 5m ", 300), ("1.5h", 5400), (7, 7.0), (0.5, 0.5)],
)
def test_every_unit_parses_to_seconds(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "m", "15 minutes", "-5s", "1w", "5mm", True, -1])
def test_a_duration_that_does_not_parse_is_refused(text: object) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)  # type: ignore[arg-type]
