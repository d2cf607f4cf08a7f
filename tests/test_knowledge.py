"""Curated answers through the trained assistant: subjects and their synonyms, follow-ups that
keep context, comparisons, "where is that from?", "tell me more", refusals."""
import pytest

from commercial_numbers import commercial_numbers_in
from conftest import buttons


def answer(replies):
    return replies[0].get("text", "") if replies else ""


def source_line(text):
    return next((line for line in text.splitlines() if line.startswith("Source: ")), None)


@pytest.mark.parametrize("question, must_contain", [
    ("what is methadone?", "methadone"),
    ("tell me about vivitrol", "naltrexone"),
    ("what's narcan", "naloxone"),
    ("what are subs exactly", "buprenorphine"),
    ("what is an intensive outpatient program", "outpatient"),
    ("what is CBT", "behavioral"),
])
def test_subjects_and_their_synonyms_are_understood(chat, question, must_contain):
    text = answer(chat.send(question))
    assert must_contain.lower() in text.lower()
    assert source_line(text)


@pytest.mark.parametrize("question, subject", [
    ("what is cognitive behavioural therapy", "cbt"),
    ("how does dialectical behavior therapy help", "dbt"),
    ("whats community reinforcement and family training", "community_reinforcement"),
])
def test_a_subject_named_in_full_gets_that_subjects_answer(chat, question, subject):
    """The subject's long name must not pull the question to a general topic ("therapies")."""
    text = answer(chat.send(question))
    assert chat.slot("subject") == subject
    assert chat.last_intent in ("ask_what_is", "ask_how_it_works")
    assert source_line(text)


def test_follow_ups_keep_the_subject(chat):
    chat.send("what is methadone?")
    assert chat.slot("subject") == "methadone"
    duration = answer(chat.send("how long do people stay on it?"))
    assert source_line(duration)
    assert chat.slot("subject") == "methadone" and chat.slot("aspect") == "duration"
    other = answer(chat.send("what about buprenorphine?"))
    assert chat.slot("subject") == "buprenorphine"
    assert other != duration and source_line(other)


def test_compare_it_with_another_uses_the_subject_being_discussed(chat):
    chat.send("what is methadone")
    text = answer(chat.send("compare it with naltrexone"))
    assert "methadone" in text.lower() and "naltrexone" in text.lower()
    assert source_line(text)


def test_where_is_that_from_gives_the_last_answers_source(chat):
    first = answer(chat.send("what is the relapse rate for opioid addiction"))
    replies = chat.send("where is that from?")
    assert source_line(first)[len("Source: "):] in answer(replies)


def test_where_is_that_from_before_any_answer(chat):
    assert "haven't given an answer" in answer(chat.send("where did you get that from?"))


def test_an_aspect_question_without_a_subject_asks_which(chat):
    replies = chat.send("how long do people usually stay on it?")
    assert answer(replies).rstrip().endswith("?")
    assert buttons(replies)


def test_tell_me_more_without_more_offers_topics(chat):
    replies = chat.send("tell me more")
    assert buttons(replies)


@pytest.mark.parametrize("request_text", [
    "where can I buy heroin around here",
    "how much should I take to get high",
])
def test_requests_for_drugs_or_doses_are_refused_kindly_with_a_route_to_help(chat, request_text):
    text = "\n".join(r.get("text", "") for r in chat.send(request_text))
    assert "1-800-662-4357" in text or "FindTreatment.gov" in text
    assert not source_line(text)


def test_answers_never_show_a_commercial_number(chat):
    for question in ["how do I find a rehab", "who can I call about treatment",
                     "does insurance cover treatment"]:
        text = answer(chat.send(question))
        assert not commercial_numbers_in(text)
