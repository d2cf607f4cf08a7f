"""First conversations through the trained assistant: welcome, small talk, topics, restart."""
import pytest

from conftest import buttons

TOPIC_PAYLOADS = {
    "/ask_treatment_options",
    "/ask_medications",
    "/ask_withdrawal",
    "/ask_helping_someone",
    "/ask_find_help",
}


def test_welcome_says_what_it_is_offers_topics_and_the_emergency_line(chat):
    replies = chat.send("hey, anybody here?")
    text = replies[0]["text"]
    assert "automated educational tool" in text
    assert "not a person or a clinician" in text
    assert "911" in text and "988" in text
    assert {b["payload"] for b in buttons(replies)} == TOPIC_PAYLOADS


def test_a_second_hello_does_not_repeat_the_whole_welcome(chat):
    chat.send("hello")
    again = chat.say("hi there")
    assert again.startswith("Hi again")
    assert "automated educational tool" not in again


@pytest.mark.parametrize("payload, expected, slot", [
    ("/ask_treatment_options", "Partial hospitalization", "treatment_options"),
    ("/ask_medications", "Methadone", "medications"),
    ("/ask_withdrawal", "dehydration", "withdrawal"),
    ("/ask_helping_someone", "naloxone", "helping_someone"),
    ("/ask_find_help", "FindTreatment.gov", "find_help"),
])
def test_each_topic_button_answers_with_a_source_and_sets_the_topic(chat, payload, expected, slot):
    chat.send("hi")
    answer = chat.say(payload)
    assert expected in answer
    assert "\nSource: " in answer
    assert chat.slot("topic") == slot


@pytest.mark.parametrize("question, topics", [
    ("what different types of treatment are there for opioid addiction", {"treatment_options"}),
    ("which medicines are approved for opioid use disorder", {"medications"}),
    ("how long does it take to get through dope sickness", {"withdrawal",
                                                             "withdrawal_timeline"}),
    ("my nephew is using heroin and I want to help him", {"helping_someone"}),
    ("how do I find a treatment program near me", {"find_help"}),
])
def test_typed_topic_questions_reach_their_answer(chat, question, topics):
    chat.say(question)
    assert chat.slot("topic") in topics


def test_multi_turn_conversation_keeps_the_latest_topic(chat):
    assert "automated educational tool" in chat.say("good morning")
    assert "Methadone" in chat.say("what meds can treat opioid addiction?")
    assert chat.slot("topic") == "medications"
    assert "Source:" in chat.say("and what is withdrawal like?")
    assert chat.slot("topic") == "withdrawal"
    assert "You're welcome" in chat.say("thanks a bunch")
    goodbye = chat.say("ok bye")
    assert "Take care" in goodbye and "988" in goodbye


@pytest.mark.parametrize("text", ["am i chatting with a real person?", "is this a bot or a human"])
def test_bot_challenge_is_answered_honestly(chat, text):
    answer = chat.say(text)
    assert "I'm a bot" in answer
    assert "not a person or a clinician" in answer


def test_capabilities_list_the_topics(chat):
    replies = chat.send("what sort of things can you help with?")
    assert "treatment settings" in replies[0]["text"]
    assert {b["payload"] for b in buttons(replies)} == TOPIC_PAYLOADS


@pytest.mark.parametrize("text", ["what's the weather going to be tomorrow", "tell me a funny joke"])
def test_out_of_scope_gets_a_redirect_with_topics(chat, text):
    replies = chat.send(text)
    assert "outside what I know" in replies[0]["text"]
    assert {b["payload"] for b in buttons(replies)} == TOPIC_PAYLOADS


def test_restart_clears_the_conversation(chat):
    chat.send("hello")
    chat.send("/ask_medications")
    assert chat.slot("topic") == "medications"
    restarted = chat.say("let's start over")
    assert "start over" in restarted and "911" in restarted
    assert chat.slot("topic") is None
    # After a restart the conversation starts afresh, so a hello gets the full welcome again.
    assert "automated educational tool" in chat.say("hi")


@pytest.mark.parametrize("text", ["this insurance paperwork is killing me",
                                  "ugh the clinic lost my forms again, I could scream"])
def test_venting_is_heard_without_an_emergency_reply(chat, text):
    reply = chat.say(text)
    assert reply.startswith("That sounds really frustrating")
    assert "911" not in reply and "988" not in reply


@pytest.mark.parametrize("text", ["I'm 30 days clean today", "I finally went to my first NA meeting"])
def test_good_news_gets_a_warm_reply(chat, text):
    assert chat.say(text).startswith("Thank you for sharing that")
