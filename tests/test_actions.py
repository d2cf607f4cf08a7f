"""Unit tests for the custom actions, run directly with rasa_sdk's dispatcher and tracker."""
import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionCompare
from actions.ask_affirmation import (
    EMERGENCY_LINE_RESPONSE, LABELS, ActionDefaultAskAffirmation, candidate_intents,
)
from conftest import PROJECT


def tracker_with_ranking(ranking):
    latest = {"text": "something unclear", "intent": {"name": "nlu_fallback", "confidence": 1.0},
              "intent_ranking": ranking}
    return Tracker("unit", {}, latest, [], False, None, {}, "action_listen")


def run_action(tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionDefaultAskAffirmation().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def domain_intents():
    intents = set()
    for path in (PROJECT / "domain").rglob("*.yml"):
        intents |= set(yaml.safe_load(path.read_text()).get("intents") or [])
    return intents


def test_every_domain_intent_has_a_readable_label():
    offered = domain_intents() - {"out_of_scope"}
    assert offered <= set(LABELS), f"missing labels: {offered - set(LABELS)}"
    assert set(LABELS) <= domain_intents(), "labels for intents the domain does not have"


def test_candidates_skip_fallback_and_noise_and_keep_order():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.9},
        {"name": "ask_withdrawal", "confidence": 0.4},
        {"name": "out_of_scope", "confidence": 0.3},
        {"name": "ask_medications", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
        {"name": "thank", "confidence": 0.08},
        {"name": "goodbye", "confidence": 0.01},
    ]
    assert candidate_intents(ranking) == ["ask_withdrawal", "ask_medications", "greet"]


def test_buttons_use_labels_and_end_with_something_else():
    messages, events = run_action(tracker_with_ranking([
        {"name": "nlu_fallback", "confidence": 0.9},
        {"name": "ask_find_help", "confidence": 0.3},
        {"name": "ask_medications", "confidence": 0.2},
    ]))
    assert events == []
    [message] = messages  # no emergency line when no emergency reading is plausible
    assert [b["payload"] for b in message["buttons"]] == [
        "/ask_find_help", "/ask_medications", "/out_of_scope"]
    assert message["buttons"][0]["title"] == LABELS["ask_find_help"]


def test_a_possible_emergency_puts_the_help_line_first():
    messages, _ = run_action(tracker_with_ranking([
        {"name": "nlu_fallback", "confidence": 0.9},
        {"name": "ask_withdrawal", "confidence": 0.3},
        {"name": "crisis_overdose", "confidence": 0.2},
    ]))
    assert messages[0]["response"] == EMERGENCY_LINE_RESPONSE
    assert "/crisis_overdose" in [b["payload"] for b in messages[1]["buttons"]]


def test_no_plausible_candidate_asks_to_rephrase():
    messages, _ = run_action(tracker_with_ranking([{"name": "nlu_fallback", "confidence": 1.0}]))
    assert messages[0]["response"] == "utter_ask_rephrase"


def domain_responses():
    responses = {}
    for path in (PROJECT / "domain").rglob("*.yml"):
        responses.update(yaml.safe_load(path.read_text()).get("responses") or {})
    return responses


@pytest.mark.parametrize("region, number", [("UK", "call 999"), ("AU", "call 000"),
                                            ("US", "call 911"), (None, "call 911")])
def test_a_summary_sent_by_an_action_is_the_users_regions(region, number):
    """A pair with no written comparison gets each one's summary, picked by the action: the
    naloxone summary names the emergency number, so it must be the variation for the region."""
    latest = {"text": "naloxone vs inpatient", "intent": {"name": "ask_compare"},
              "entities": [{"entity": "subject", "value": "naloxone"},
                           {"entity": "subject", "value": "inpatient"}]}
    tracker = Tracker("unit", {"region": region}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionCompare().run(dispatcher, tracker, {"responses": domain_responses()}))
    texts = [m.get("text") or "" for m in dispatcher.messages]
    [naloxone] = [t for t in texts if t.startswith("Naloxone (brand name Narcan)")]
    assert number in naloxone
    assert ("911" in naloxone) == (number == "call 911")
