"""SafetyPolicy: the dialogue policy that puts emergency help first, in every conversation state.

Deterministic and above every other policy (priority 7; RulePolicy is 6), its predictions are
made "without user input" so they also beat a form or the fallback loop that would otherwise
carry on. It decides four things and abstains otherwise:

1. A crisis intent (from the CrisisDetector, the classifier or a button) gets the emergency
   response for its category and for who is in danger, at once. An active form or fallback loop
   is ended; a form's name is kept in the `interrupted_flow` slot so it can be offered again.
2. After that response, the assistant listens: nothing is stacked on top of it.
3. A message that only mentions an emergency topic gets its normal answer followed by a short
   emergency line (`utter_emergency_line_<category>`). The line follows the turn's first answer
   and ends the turn, so an answer must be a single response (our rules and stories keep to
   that; a form's last question and its summary are treated as one answer).
4. For a few turns after a crisis reply, every answer is followed by an emergency reminder, so the
   numbers stay on screen until the person has moved on.
Neither 3 nor 4 follows a yes/no question whose answer a rule reads (the deletion question).

The responses are plain domain responses (domain/safety.yml), so all of this works when the
action server is down.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME, ACTION_TWO_STAGE_FALLBACK_NAME, REQUESTED_SLOT,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

CRISIS_INTENTS = {
    "crisis_overdose": "other",  # who is in danger when the message does not say
    "crisis_suicide": "self",
    "crisis_self_harm": "self",
    "crisis_medical_danger": "self",
    "crisis_medication_mistake": "self",
    "crisis_general": "self",
}
EMERGENCY_RESPONSES = {
    ("crisis_overdose", "other"): "utter_emergency_overdose",
    ("crisis_overdose", "self"): "utter_emergency_overdose_self",
    ("crisis_suicide", "self"): "utter_emergency_suicide",
    ("crisis_suicide", "other"): "utter_emergency_suicide_other",
    ("crisis_self_harm", "self"): "utter_emergency_self_harm",
    ("crisis_self_harm", "other"): "utter_emergency_self_harm_other",
    ("crisis_medical_danger", "self"): "utter_emergency_medical_danger",
    ("crisis_medical_danger", "other"): "utter_emergency_medical_danger",
    # Written for "you or the person": the same reply whoever is in danger.
    ("crisis_medication_mistake", "self"): "utter_emergency_medication_mistake",
    ("crisis_medication_mistake", "other"): "utter_emergency_medication_mistake",
    ("crisis_general", "self"): "utter_emergency_general",
    ("crisis_general", "other"): "utter_emergency_general",
}
MENTION_LINES = {
    "overdose": "utter_emergency_line_overdose",
    "suicide": "utter_emergency_line_suicide",
    "self_harm": "utter_emergency_line_suicide",
    "medical_danger": "utter_emergency_line_medical_danger",
    "medication_mistake": "utter_emergency_line_medication_mistake",
    "unknown": "utter_emergency_line_general",
}
REMINDER = "utter_emergency_reminder"
APPENDED = set(MENTION_LINES.values()) | {REMINDER}
EMERGENCY_REPLIES = set(EMERGENCY_RESPONSES.values())
# Everything the safety layer says; none of it needs another line after it.
SAFETY_PREFIXES = ("utter_emergency_", "utter_crisis_")
# How many user turns after a crisis reply still get the reminder.
REMINDER_TURNS = 3
# Yes/no questions whose answer a rule reads from the previous action. A line or a reminder after
# one would stand between the question and the answer, and the rule would not fire: for three
# turns after a crisis, "yes, delete it" deleted nothing. The question is the whole turn instead.
AWAITS_ANSWER = {"utter_ask_delete_conversation"}
INTERRUPTED_FLOW_SLOT = "interrupted_flow"


def _entity(message: UserUttered, name: str) -> Optional[str]:
    for entity in message.entities or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SafetyPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        # Nothing to learn: the behaviour is fixed. An empty resource lets Rasa load it back.
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action, events = self._decide(tracker, domain)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain))
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        # "No user prediction": ranks above the loop and rule predictions (see the ensemble).
        return self._prediction(probabilities, optional_events=events, is_no_user_prediction=True)

    def _decide(self, tracker: DialogueStateTracker, domain: Domain):
        # All events, not only the applied ones: a fallback that reverts the user's message
        # must not hide that the message mentioned an emergency.
        events = list(tracker.events)
        last_user = next((i for i in range(len(events) - 1, -1, -1)
                          if isinstance(events[i], UserUttered)), None)
        if last_user is None:
            return None, []
        message = events[last_user]
        this_turn = [e.action_name for e in events[last_user + 1:]
                     if isinstance(e, ActionExecuted) and e.action_name]
        said_safety = any(name.startswith(SAFETY_PREFIXES) for name in this_turn)
        intent = (message.intent or {}).get("name")

        if intent in CRISIS_INTENTS:
            if said_safety:
                return ACTION_LISTEN_NAME, []
            person = _entity(message, "crisis_person") or CRISIS_INTENTS[intent]
            return EMERGENCY_RESPONSES[(intent, person)], self._end_loop(tracker, domain)

        if not this_turn or this_turn[-1] == ACTION_LISTEN_NAME:
            return None, []
        if this_turn[-1] in APPENDED:
            return ACTION_LISTEN_NAME, []
        if said_safety:
            return None, []
        if this_turn[-1] in domain.form_names and not tracker.active_loop_name:
            # A form just finished; its follow-up action (the result) comes first, and the
            # line goes after that.
            return None, []
        if this_turn[-1] in AWAITS_ANSWER:
            return None, []
        mention = _entity(message, "emergency_mention")
        if mention:
            return MENTION_LINES.get(mention, MENTION_LINES["unknown"]), []
        if self._turns_since_crisis(tracker.applied_events()) <= REMINDER_TURNS:
            return REMINDER, []
        return None, []

    @staticmethod
    def _turns_since_crisis(events) -> int:
        turns = 0
        for event in reversed(events):
            if isinstance(event, UserUttered):
                turns += 1
            elif isinstance(event, ActionExecuted) and event.action_name in EMERGENCY_REPLIES:
                return turns
        return 10**6

    @staticmethod
    def _end_loop(tracker: DialogueStateTracker, domain: Domain) -> List:
        loop = tracker.active_loop_name
        if not loop:
            return []
        events = [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        if loop != ACTION_TWO_STAGE_FALLBACK_NAME and any(
                slot.name == INTERRUPTED_FLOW_SLOT for slot in domain.slots):
            events.append(SlotSet(INTERRUPTED_FLOW_SLOT, loop))
        return events
