"""The action-claim classifier: does this text say its author is about to do something concrete?

Pure and deterministic, tuned for precision: when in doubt it registers nothing, because a
false commitment nags an agent for something it never promised. It registers only

- a verb from a closed set (VERBS), in
- a first-person future or near-future form ("I'll push", "I will", "I'm going to",
  "I'm about to", "let me", "I'm pushing"), or a sentence-initial participle with a trailer
  ("Pushing it now.", "Done. Relaunching now.").

It skips quoted, backticked and fenced text, block quotes and indented code, questions,
sentences with a condition ("if", "unless", "once", "when"…), negations and past tense (no form
matches them), imperatives and third person (no first-person subject), and a few phrasal uses
("push back", "commit to", "revert to", "fixing to"). The earliest claim wins. Very long input
is scanned in two bounded windows, its head and its tail. docs/sentinel.md lists the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _ing(base: str) -> str:
    if base.endswith("e"):
        return base[:-1] + "ing"
    if base.endswith(("run", "mit")):
        return base + base[-1] + "ing"
    return base + "ing"


# surface form → canonical verb; "re-run" is "rerun"
_BASE = {
    surface: surface.replace("-", "")
    for surface in _words(
        "restart relaunch re-launch redeploy re-deploy deploy push merge revert rebase rerun "
        "re-run fix commit release"
    )
}
_ING = {_ing(surface): verb for surface, verb in _BASE.items()}
VERBS = frozenset(_BASE.values())

# The word right after the verb that turns it into something else ("push back on an idea").
_PHRASAL = {
    "push": {"back", "through", "forward", "ahead", "for", "harder", "myself", "yourself"},
    "commit": {"to", "myself"},
    "revert": {"to"},
    "fix": {"to"},
}

# A sentence holding one of these is a condition, offer or hypothesis, not a commitment.
_CONDITIONS = re.compile(r"\b(?:if|unless|whether|once|when|whenever|until)\b", re.IGNORECASE)
# Words that make a sentence-initial participle a gerund subject ("Pushing to main is …").
_FINITE = _words(
    "is are was were be been am will would can could should may might must shall does do did "
    "has have had isn't aren't wasn't weren't won't wouldn't can't cannot couldn't shouldn't "
    "doesn't don't didn't hasn't haven't hadn't it's that's there's"
)
_S_VERBS = _words(
    "fixes breaks helps requires needs means makes causes triggers takes works fails solves "
    "resolves clears resets changes seems looks sounds keeps gets gives lets runs starts stops "
    "kills wipes loses deletes removes updates forces rewrites pushes restarts relaunches "
    "redeploys deploys merges reverts rebases reruns commits releases"
)
_DETERMINERS = _words(
    "the a an my our your these those all both its their his her two three some any new latest "
    "pending remaining local remote recent last"
)
_INTERJECTIONS = r"(?:ok|okay|alright|sure|great|right|now|so|and|then|next|first)"

_ADV = r"(?:\s+(?:now|just|quickly|then|also|immediately|first|next|right\s+away|go\s+ahead\s+and))"
_BASE_ALT = "|".join(sorted(map(re.escape, _BASE), key=len, reverse=True))
_ING_ALT = "|".join(sorted(map(re.escape, _ING), key=len, reverse=True))
_END = r"(?![\w-])"

_FUTURE = re.compile(
    rf"\bi(?:'ll|\s+will|\s+shall){_ADV}{{0,3}}\s+(?P<verb>{_BASE_ALT}){_END}", re.IGNORECASE
)
_FUTURE_BE = re.compile(
    rf"\bi(?:'ll|\s+will|\s+shall)\s+be{_ADV}{{0,2}}\s+(?P<verb>{_ING_ALT}){_END}", re.IGNORECASE
)
_NEAR = re.compile(
    rf"\bi(?:'m|\s+am)\s+(?:going\s+to|gonna|about\s+to){_ADV}{{0,3}}\s+(?P<verb>{_BASE_ALT}){_END}",
    re.IGNORECASE,
)
_ABOUT_TO = re.compile(
    rf"^(?:{_INTERJECTIONS}[,!]?\s+)?about\s+to{_ADV}{{0,3}}\s+(?P<verb>{_BASE_ALT}){_END}",
    re.IGNORECASE,
)
_LET_ME = re.compile(
    rf"(?:^|[,;:\u2014]\s*|^{_INTERJECTIONS}[,!]?\s+)let\s+me{_ADV}{{0,3}}\s+(?P<verb>{_BASE_ALT}){_END}",
    re.IGNORECASE,
)
_PROGRESSIVE = re.compile(
    rf"\bi(?:'m|\s+am)(?:\s+(?:now|just|also|already|currently)){{0,2}}\s+(?P<verb>{_ING_ALT}){_END}",
    re.IGNORECASE,
)
# Capitalised: "e.g. fixing" is not a sentence start, and chat-style lowercase is a doubt.
_PARTICIPLE = re.compile(
    rf"^(?:(?:OK|Ok|Okay|Alright|Sure|Great|Right|Now|So|And|Then|Next|First)[,!]?\s+)?"
    rf"(?P<verb>{_ING_ALT}){_END}",
    re.IGNORECASE,
)

MAX_SCAN = 16_384  # characters scanned at most: the head and the tail, half each
MAX_QUOTE = 240  # characters of the sentence kept as the quoted claim
_MASK = "\x1a"


class ClaimForm(StrEnum):
    FUTURE = "future"  # I'll push, I will push, I'll be pushing
    NEAR_FUTURE = "near_future"  # I'm going to push, I'm about to push, let me push
    PROGRESSIVE = "progressive"  # I'm pushing it now
    PARTICIPLE = "participle"  # Pushing it now.


@dataclass(frozen=True)
class Claim:
    verb: str  # canonical verb, one of VERBS
    start: int  # span of the match in the (decoded) text
    end: int
    text: str  # the matched words
    form: ClaimForm
    quote: str  # the sentence that holds the claim, whitespace collapsed, at most MAX_QUOTE

    def to_json(self) -> dict[str, object]:
        return {
            "verb": self.verb,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "form": str(self.form),
            "quote": self.quote,
        }


def classify_action_claim(text: str | bytes | None) -> Claim | None:
    """The earliest concrete future-action claim in `text`, or None (the usual answer)."""
    if not text:
        return None
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    text = _normalise(text)
    if len(text) <= MAX_SCAN:
        windows = [(0, text)]
    else:
        half = MAX_SCAN // 2
        tail_start = len(text) - half
        # The tail starts mid-paragraph: skip to its first line break, where context is known.
        newline = text.find("\n", tail_start)
        windows = [(0, text[:half])]
        if newline != -1:
            windows.append((newline + 1, text[newline + 1 :]))
    for offset, window in windows:
        claim = _scan(window, offset, text)
        if claim is not None:
            return claim
    return None


_CURLY = str.maketrans({"\u2019": "'", "\u2018": "'", "\r": " ", "\x00": " "})
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _normalise(text: str) -> str:
    """Same length as the input, so spans index the caller's text."""
    text = text.translate(_CURLY)
    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL.sub(" ", text)


_MASKS = (
    re.compile(r"(```|~~~).*?(?:\1|\Z)", re.DOTALL),  # fenced code (unclosed: to the end)
    re.compile(r"`[^`\n]*(?:`|$)", re.MULTILINE),  # inline code (unclosed: to line end)
    re.compile(r"^(?:[ \t]*>|    |\t).*$", re.MULTILINE),  # block quotes, indented code
    re.compile(r"\"[^\"\n]*(?:\"|$)", re.MULTILINE),  # "double quotes"
    re.compile(r"\u201c[^\u201d\n]*(?:\u201d|$)", re.MULTILINE),  # “curly quotes”
    re.compile(r"(?:^|(?<=[\s(\[{:]))'(?=\S)[^\n]*?(?<=\S)'(?=[\s.,;:!?)\]}]|$)", re.MULTILINE),
)


def _mask(window: str) -> str:
    for pattern in _MASKS:
        window = pattern.sub(lambda m: _MASK * len(m.group(0)), window)
    return window


_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*+\u2022]|\d{1,3}[.)]|#{1,6})[ \t]+")
_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])\s+")


def _sentences(masked: str) -> list[tuple[int, str, bool]]:
    """(offset, sentence, may_start_with_a_participle) for every sentence of every line."""
    found: list[tuple[int, str, bool]] = []
    pos = 0
    for line in masked.split("\n"):
        start = 0
        initial = True
        marker = _LIST_MARKER.match(line)
        if marker:  # a list item or a heading describes; it does not announce
            start = marker.end()
            initial = False
        for part in _SENTENCE_END.split(line[start:]):
            stripped = part.lstrip(" *_")
            if stripped.strip():
                lead = line.index(part, start) + (len(part) - len(stripped))
                found.append((pos + lead, stripped.rstrip(), initial))
            start = line.index(part, start) + len(part)
            initial = True
        pos += len(line) + 1
    return found


def _scan(window: str, offset: int, original: str) -> Claim | None:
    masked = _mask(window)
    for start, sentence, initial in _sentences(masked):
        if "?" in sentence or _CONDITIONS.search(sentence):
            continue
        best: tuple[int, int, str, ClaimForm] | None = None
        for pattern, form in _FORMS:
            for match in pattern.finditer(sentence):
                if not _acceptable(match, sentence, form, initial):
                    continue
                if best is None or match.start() < best[0]:
                    best = (match.start(), match.end(), match.group("verb"), form)
                break
        if best is not None:
            return _claim(best, start + offset, sentence, original)
    return None


_FORMS = (
    (_FUTURE, ClaimForm.FUTURE),
    (_FUTURE_BE, ClaimForm.FUTURE),
    (_NEAR, ClaimForm.NEAR_FUTURE),
    (_ABOUT_TO, ClaimForm.NEAR_FUTURE),
    (_LET_ME, ClaimForm.NEAR_FUTURE),
    (_PROGRESSIVE, ClaimForm.PROGRESSIVE),
    (_PARTICIPLE, ClaimForm.PARTICIPLE),
)


def _canonical(surface: str) -> str | None:
    word = surface.lower()
    return _BASE.get(word) or _ING.get(word)


def _acceptable(match: re.Match[str], sentence: str, form: ClaimForm, initial: bool) -> bool:
    verb = _canonical(match.group("verb"))
    if verb is None:
        return False
    after = re.findall(r"[\w'-]+", sentence[match.end() :].lower())
    if after and after[0] in _PHRASAL.get(verb, ()):
        return False
    if form is not ClaimForm.PARTICIPLE:
        return True
    if not initial or not sentence[0].isupper():
        return False
    # A trailer is required ("Pushing." alone is a doubt); a finite verb after it makes the
    # participle a gerund subject ("Restarting the server fixes it").
    if not after or len(after) > 10:
        return False
    for i, word in enumerate(after):
        if word in _FINITE:
            return False
        if word in _S_VERBS and (i == 0 or after[i - 1] not in _DETERMINERS):
            return False
    return True


def _claim(best: tuple[int, int, str, ClaimForm], base: int, sentence: str, original: str) -> Claim:
    rel_start, rel_end, surface, form = best
    start, end = base + rel_start, base + rel_end
    words = original[start:end]
    lead = len(words) - len(words.lstrip(" ,;:\u2014"))
    verb = _canonical(surface)
    assert verb is not None
    quote = " ".join(original[base : base + len(sentence)].split())
    if len(quote) > MAX_QUOTE:
        quote = quote[: MAX_QUOTE - 1].rstrip() + "\u2026"
    return Claim(
        verb=verb,
        start=start + lead,
        end=end,
        text=original[start + lead : end],
        form=form,
        quote=quote,
    )
