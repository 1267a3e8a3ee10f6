"""The action-claim classifier's truth table, both sides, and its bounds."""

from __future__ import annotations

import time

import pytest

from bosun.sentinel.classifier import MAX_QUOTE, VERBS, ClaimForm, classify_action_claim

F, N, P, G = ClaimForm.FUTURE, ClaimForm.NEAR_FUTURE, ClaimForm.PROGRESSIVE, ClaimForm.PARTICIPLE

REGISTERS = [
    # first-person future
    ("I'll restart the server.", "restart", F),
    ("I will relaunch the worker now.", "relaunch", F),
    ("I'll redeploy the staging stack.", "redeploy", F),
    ("I will deploy it to staging.", "deploy", F),
    ("I'll push the branch.", "push", F),
    ("I'll merge it into main.", "merge", F),
    ("I'll revert that commit.", "revert", F),
    ("I'll rebase onto main.", "rebase", F),
    ("I'll rerun the failing tests.", "rerun", F),
    ("I'll fix the flaky test.", "fix", F),
    ("I'll commit the changes.", "commit", F),
    ("I'll release version 1.2.", "release", F),
    ("i'll push it", "push", F),
    ("I\u2019ll push it.", "push", F),
    ("I shall deploy the hotfix.", "deploy", F),
    ("I'll now push the fix.", "push", F),
    ("I'll go ahead and restart the dev server.", "restart", F),
    ("I'll just quickly rebase it.", "rebase", F),
    ("I'll re-run the pipeline.", "rerun", F),
    ("I'll re-deploy after this.", "redeploy", F),
    ("I'll be deploying it shortly.", "deploy", F),
    ("All tests pass. I'll commit and push.", "commit", F),
    ("Done, and I'll push it now.", "push", F),
    ("The tests are green; I'll merge the PR next.", "merge", F),
    ("I'll push back the deadline and then I'll push the branch.", "push", F),
    ("I'LL PUSH IT NOW.", "push", F),
    ("- I'll restart the API after the config change.", "restart", F),
    # near future
    ("I'm going to restart the server.", "restart", N),
    ("I am going to push the branch.", "push", N),
    ("I'm gonna redeploy.", "redeploy", N),
    ("I'm about to rebase onto main.", "rebase", N),
    ("I am about to merge this.", "merge", N),
    ("About to push it now.", "push", N),
    ("Let me push it.", "push", N),
    ("Let me restart the worker to pick up the config.", "restart", N),
    ("OK, let me rerun the tests.", "rerun", N),
    ("Right — let me fix that.", "fix", N),
    ("Good catch, let me revert it.", "revert", N),
    ("Now let me commit this.", "commit", N),
    ("I'm going to go ahead and deploy.", "deploy", N),
    # first-person present progressive
    ("I'm fixing the test now", "fix", P),
    ("I'm pushing it now.", "push", P),
    ("I am restarting the server.", "restart", P),
    ("I'm now relaunching the agent.", "relaunch", P),
    ("I'm just rebasing onto main.", "rebase", P),
    ("I'm re-running the suite.", "rerun", P),
    ("I'm committing the fix.", "commit", P),
    ("I'm reverting the last commit.", "revert", P),
    # sentence-initial participle with a trailer
    ("Pushing it now.", "push", G),
    ("Done. Pushing it now.", "push", G),
    ("Relaunching now.", "relaunch", G),
    ("Restarting the server.", "restart", G),
    ("Rebasing onto main.", "rebase", G),
    ("Deploying it now!", "deploy", G),
    ("OK, pushing the fix now.", "push", G),
    ("Pushing the commits now.", "push", G),
    ("Tests pass.\nPushing it now.", "push", G),
    ("**Redeploying now.**", "redeploy", G),
    ("Fixing it now.", "fix", G),
    ("Merging it into main now.", "merge", G),
    ("Reverting the bad commit now.", "revert", G),
    ("Committing the changes.", "commit", G),
    ("Rerunning the tests.", "rerun", G),
    ("Releasing v2 now.", "release", G),
]

NOTHING = [
    # vague filler and verbs outside the set
    "I'll take a look.",
    "I'll look into it.",
    "I'll check the logs.",
    "I'll investigate the failure.",
    "Let me know if you want me to push.",
    "Let me think about it.",
    "I'll get back to you.",
    # past tense and completed actions
    "I pushed it.",
    "I restarted the server.",
    "Restarted.",
    "I've pushed the branch.",
    "I already deployed it.",
    "I was going to push it, but the tests failed.",
    "I'll have pushed it by then.",
    # quoted, backticked, fenced, block-quoted
    "`git push` will do it.",
    "Run `I'll push it` as a test string.",
    'He wrote "I\'ll push it now" in the log.',
    "You said 'I'll restart it' earlier.",
    "\u201cPushing it now\u201d was the last line.",
    "```\nI'll push it\n```",
    "> I'll restart the server.",
    "    I'll deploy it",
    # imperatives and requests directed at others
    "Please merge the PR.",
    "Merge the PR.",
    "Restart the server now.",
    "Push it.",
    "Please let me merge it.",
    "You should push it now.",
    "Can you restart it?",
    # questions
    "Did you restart it?",
    "Should I push it now?",
    "Shall I restart the server?",
    "Want me to deploy it?",
    "I'll push it, okay?",
    # third person
    "He is deploying it.",
    "She'll push it later.",
    "The script reverts the migration.",
    "The bot is restarting the server.",
    "CI is about to deploy.",
    "They're going to merge it.",
    "We'll deploy on Monday.",
    "Let's restart the server.",
    # conditions, offers and hypotheticals
    "If you want, I'll push it.",
    "I'll push it if you approve.",
    "I'll merge it once CI is green.",
    "When the build finishes, I'll redeploy.",
    "Unless you object, I'll revert it.",
    # negations and non-commitments
    "I won't push it.",
    "I will not deploy on a Friday.",
    "I'm not going to merge it yet.",
    "I'll never rebase a shared branch.",
    "I can push it.",
    "I could restart the server.",
    "I need to push it.",
    "I'd rebase it.",
    "I'll need to redeploy.",
    # phrasal uses that are not the action
    "I'm pushing back on that idea.",
    "I'll push back on that requirement.",
    "I'm committed to finishing this.",
    "I'll commit to a plan by noon.",
    "I'm reverting to the old approach.",
    "I'm fixing to leave.",
    # participles that are not sentence-initial announcements
    "Pushing.",
    "Deploying...",
    "Pushing to main is forbidden.",
    "Restarting the server fixes it.",
    "Deploying on a Friday would be risky.",
    "- Fixing the null check in the parser",
    "## Reverting a release",
    "1. Rebasing onto main",
    "The fix involves restarting the worker.",
    "e.g. pushing to a fork",
    "pushing it now",
    # words that only look like the verbs
    "The pushback was strong.",
    "I'll fixate on the edge cases.",
    "I'm releasing-candidate testing.",
    "Pushingit now.",
    # empty and blank
    "",
    "   \n\t  ",
]


@pytest.mark.parametrize(("text", "verb", "form"), REGISTERS, ids=[t for t, _, _ in REGISTERS])
def test_concrete_future_claims_register(text: str, verb: str, form: ClaimForm) -> None:
    claim = classify_action_claim(text)
    assert claim is not None, text
    assert (claim.verb, claim.form) == (verb, form)
    assert claim.verb in VERBS
    assert text[claim.start : claim.end].replace("\u2019", "'") == claim.text.replace("\u2019", "'")


@pytest.mark.parametrize("text", NOTHING, ids=[t or "<empty>" for t in NOTHING])
def test_everything_else_registers_nothing(text: str) -> None:
    assert classify_action_claim(text) is None


def test_truth_table_is_large_and_covers_every_verb() -> None:
    assert len(REGISTERS) + len(NOTHING) >= 100
    assert {verb for _, verb, _ in REGISTERS} == VERBS
    assert {form for _, _, form in REGISTERS} == set(ClaimForm)


def test_the_earliest_claim_wins_and_carries_its_sentence() -> None:
    text = "Tests pass. I'll push it now. Then I'm restarting the server."
    claim = classify_action_claim(text)
    assert claim is not None
    assert claim.verb == "push"
    assert claim.text == "I'll push"
    assert text[claim.start : claim.end] == "I'll push"
    assert claim.quote == "I'll push it now."


def test_a_later_sentence_registers_when_the_first_is_a_question() -> None:
    claim = classify_action_claim("Did the build pass? Yes. Relaunching now.")
    assert claim is not None
    assert (claim.verb, claim.quote) == ("relaunch", "Relaunching now.")


def test_masked_code_does_not_hide_a_real_claim_after_it() -> None:
    text = "```\ngit push --force\n```\nDone. Pushing it now."
    claim = classify_action_claim(text)
    assert claim is not None and claim.verb == "push" and claim.form is ClaimForm.PARTICIPLE


def test_non_utf8_bytes_are_decoded_with_replacement() -> None:
    claim = classify_action_claim(b"\xff\xfe garbage \x80. I'll push it now.")
    assert claim is not None and claim.verb == "push"
    assert classify_action_claim(b"\xff\xfe\x80\x81") is None


def test_lone_surrogates_from_argv_do_not_break_it() -> None:
    claim = classify_action_claim("caf\udce9 done. I'll deploy it.")
    assert claim is not None and claim.verb == "deploy"
    claim.quote.encode("utf-8")  # storable


def test_the_quote_is_bounded() -> None:
    text = "I'll push it " + "and then some more words " * 40 + "."
    claim = classify_action_claim(text)
    assert claim is not None
    assert len(claim.quote) <= MAX_QUOTE and claim.quote.endswith("\u2026")


def test_enormous_input_is_bounded_in_time_and_scans_head_and_tail() -> None:
    filler = ("Here is a long explanation of what happened in the build. " * 20 + "\n") * 2000
    assert len(filler) > 2_000_000
    started = time.perf_counter()
    assert classify_action_claim(filler) is None
    claim = classify_action_claim(filler + "Done. Pushing it now.")
    elapsed = time.perf_counter() - started
    assert claim is not None and claim.verb == "push"
    assert claim.start == len(filler) + len("Done. ")
    assert classify_action_claim("I'll rebase onto main.\n" + filler).verb == "rebase"  # type: ignore[union-attr]
    # a claim in the unscanned middle is deliberately not found
    assert classify_action_claim(filler + "I'll push it.\n" + filler) is None
    assert elapsed < 2.0


def test_pathological_punctuation_is_fast() -> None:
    started = time.perf_counter()
    for text in (
        "'" * 20000,
        '"' * 20000,
        "`" * 20000,
        "I'll " * 5000,
        ". " * 10000,
        "I'll now now now now now " * 1000,
    ):
        classify_action_claim(text)
    assert time.perf_counter() - started < 2.0
