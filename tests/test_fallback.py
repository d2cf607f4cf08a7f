"""The two-stage fallback: "did you mean" buttons, then a rephrase, then help, never a guess."""
import pytest

from conftest import buttons

GIBBERISH = "qwzx plorf vrmbl"
# One word that fits several topics about equally (what the assistant does, helping someone).
AMBIGUOUS = "relapse"  # three answers cover it: rate, risks, what it means


def test_unclear_message_gets_did_you_mean_buttons_not_a_guess(chat):
    replies = chat.send(AMBIGUOUS)
    assert chat.tracker.latest_message.intent["name"] == "nlu_fallback"
    assert "Did you mean" in replies[0]["text"]
    payloads = [b["payload"] for b in buttons(replies)]
    assert payloads[-1] == "/out_of_scope"  # "Something else"
    assert 2 <= len(payloads) <= 4
    assert all(p.startswith("/") for p in payloads)


def test_gibberish_gets_no_guess_but_a_request_to_rephrase_and_topics(chat):
    replies = chat.send(GIBBERISH)
    assert chat.tracker.latest_message.intent["name"] == "nlu_fallback"
    assert "say it another way" in replies[0]["text"]
    assert "Did you mean" not in replies[0]["text"]
    assert "/ask_treatment_options" in [b["payload"] for b in buttons(replies)]  # the topics


def test_picking_a_suggestion_answers_it(chat):
    chat.send(AMBIGUOUS)
    answer = chat.say("/ask_medications")
    assert "Methadone" in answer
    assert chat.tracker.active_loop_name is None


def test_something_else_asks_to_rephrase_then_a_clear_question_is_answered(chat):
    chat.send(AMBIGUOUS)
    assert "say it another way" in chat.say("/out_of_scope")
    assert "Methadone" in chat.say("which medications treat opioid use disorder")


def test_giving_up_still_offers_topics_and_the_emergency_line(chat):
    chat.send(GIBBERISH)
    chat.send("/out_of_scope")
    chat.send("blorptastic zingwobble")
    replies = chat.send("/out_of_scope")
    text = replies[-1]["text"]
    assert "couldn't work that out" in text and "911" in text
    assert buttons(replies)


@pytest.mark.parametrize("text, metadata, line, foreign", [
    ("am i going to die?", {"region": "UK"}, "call 999", "911"),
    ("¿cuáles son las señales de una sobredosis?", {"region": "UK"}, "llama al 999", "911"),
    ("¿cuáles son las señales de una sobredosis?", None, "llama al 911", "call 911"),
])
def test_did_you_mean_with_a_possible_emergency_gives_the_users_own_line_first(
        chat, text, metadata, line, foreign):
    """The emergency line in "did you mean" follows the region and language (it was US English
    for everyone)."""
    replies = chat.send(text, metadata)
    assert any("Did you mean" in reply.get("text", "") for reply in replies)
    assert line in replies[0]["text"] and foreign not in replies[0]["text"]
