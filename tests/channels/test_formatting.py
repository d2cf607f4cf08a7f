"""Splitting long replies and reading typed choices (channels/formatting.py), without Rasa."""
import pytest

from channels.formatting import choice_payload, numbered_choices, split_text

BUTTONS = [{"title": "Yes, delete it", "payload": "/affirm"},
           {"title": "No, keep it", "payload": "/deny"}]


def test_short_text_is_one_message():
    assert split_text("  Call 911 now.  ", 160) == ["Call 911 now."]
    assert split_text("", 160) == []


def test_long_text_splits_at_paragraphs_then_sentences_within_the_limit():
    text = ("Call 911 now. Say someone is not breathing.\n\nGive naloxone if there is any. "
            + "Stay with them until help arrives. " * 6)
    chunks = split_text(text, 80)
    assert chunks[0] == "Call 911 now. Say someone is not breathing.\n\nGive naloxone if there is any."
    assert all(len(chunk) <= 80 for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)  # whole sentences only
    assert " ".join(" ".join(chunks).split()) == " ".join(text.split())  # nothing lost


def test_lines_are_kept_and_overlong_words_cut():
    assert split_text("1. one\n2. two\n3. three", 14) == ["1. one\n2. two", "3. three"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_numbered_choices_round_trip():
    assert numbered_choices(BUTTONS) == "Reply with a number:\n1. Yes, delete it\n2. No, keep it"
    for reply in ("2", " 2. ", "2)", "#2", "option 2", "no, keep it", "NO KEEP IT"):
        assert choice_payload(reply, BUTTONS) == "/deny", reply


@pytest.mark.parametrize("reply", ["3", "0", "no", "2 people overdosed", "yes please", ""])
def test_text_that_picks_no_option_goes_through_as_typed(reply):
    assert choice_payload(reply, BUTTONS) is None


def test_no_buttons_no_choice():
    assert choice_payload("1", []) is None
