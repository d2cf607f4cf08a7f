"""The guided flows through the trained assistant: level of care and the DSM-5 self-check."""
import pytest

from actions.flows import settings_that_fit, severity
from conftest import buttons

LEVEL_OF_CARE_ANSWERS = 6
SELF_CHECK_QUESTIONS = 11


def test_level_of_care_flow_asks_six_questions_and_explains_what_fits(chat):
    first = chat.send("which level of care might fit me?")
    assert "clinician's assessment decides" in first[0]["text"]
    assert chat.tracker.active_loop_name == "level_of_care_form"
    # severe, other conditions, risky home, support, needs to work, can travel
    replies = first
    for answer in ["/affirm", "/affirm", "/affirm", "/deny", "/affirm"]:
        replies = chat.send(answer)
        assert [b["payload"] for b in buttons(replies)] == ["/affirm", "/deny", "/stop"]
    replies = chat.send("/affirm")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "Inpatient or residential care" in text
    assert "Standard outpatient" not in text
    assert "Source: NIH" in text
    assert chat.tracker.active_loop_name is None
    assert chat.slot("loc_severe") is None  # answers are cleared for a new run


def test_self_check_counts_yes_answers_into_dsm5_severity(chat):
    replies = chat.send("/start_self_check")
    assert "not a diagnosis" in replies[0]["text"]
    answers = ["yes", "yeah", "no", "yes", "no", "nope", "no", "no", "no", "yes", "no"]
    for answer in answers[:-1]:
        chat.send(answer)
    replies = chat.send(answers[-1])
    text = "\n".join(r.get("text", "") for r in replies)
    assert "You answered yes to 4 of the 11 signs" in text
    assert "moderate" in text and "Source: American Psychiatric Association, DSM-5" in text


def test_a_flow_can_be_stopped(chat):
    chat.send("/start_self_check")
    chat.send("/affirm")
    replies = chat.send("stop")
    assert "we've stopped" in replies[0]["text"]
    assert chat.tracker.active_loop_name is None


def test_a_question_mid_flow_is_answered_and_the_flow_goes_on(chat):
    chat.send("/start_level_of_care")
    replies = chat.send("what is methadone?")
    texts = [r.get("text", "") for r in replies]
    assert any("Source:" in t for t in texts)
    assert chat.tracker.active_loop_name == "level_of_care_form"
    assert "affecting most parts of your life" in texts[-1]


def test_a_crisis_ends_the_flow_and_it_can_be_resumed(chat):
    chat.send("/start_self_check")
    chat.send("yes")
    chat.send("no")
    replies = chat.send("I want to kill myself")
    assert "988" in replies[0]["text"].splitlines()[0]
    assert chat.tracker.active_loop_name is None
    assert chat.slot("interrupted_flow") == "self_check_form"
    chat.send("yes")  # "Are you safe right now?"
    replies = chat.send("let's continue the questions")
    assert chat.tracker.active_loop_name == "self_check_form"
    # The answers so far were kept; the emergency reminder still follows for a few turns.
    assert any(r["text"].startswith("3 of 11") for r in replies)


@pytest.mark.parametrize("answers, expected", [
    ({"loc_severe": True, "loc_conditions": False, "loc_home_risky": False,
      "loc_support": True, "loc_work": False, "loc_travel": True}, ["inpatient", "php"]),
    ({"loc_severe": False, "loc_conditions": False, "loc_home_risky": False,
      "loc_support": True, "loc_work": True, "loc_travel": True}, ["iop", "outpatient"]),
    ({"loc_severe": False, "loc_conditions": True, "loc_home_risky": False,
      "loc_support": True, "loc_work": False, "loc_travel": True}, ["inpatient", "iop"]),
    ({"loc_severe": False, "loc_conditions": False, "loc_home_risky": True,
      "loc_support": False, "loc_work": False, "loc_travel": False}, ["inpatient"]),
])
def test_settings_that_fit(answers, expected):
    assert settings_that_fit(answers) == expected


@pytest.mark.parametrize("count, level", [(0, "none"), (1, "none"), (2, "mild"), (3, "mild"),
                                          (4, "moderate"), (5, "moderate"), (6, "severe"),
                                          (11, "severe")])
def test_dsm5_severity_bands(count, level):
    assert severity(count) == level
