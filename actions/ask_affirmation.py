"""The "did you mean" step of the two-stage fallback.

Rasa's built-in version shows the raw intent name; ours offers up to three likely topics as
buttons with readable labels (kept as data in intent_labels.csv; a label about a subject names
the subject being discussed), plus "Something else". When an
emergency intent is among the candidates the help line comes first: an unsure classifier must
never hide help.
"""
import csv
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

LABELS_FILE = Path(__file__).with_name("intent_labels.csv")
MAX_CANDIDATES = 3
# Candidates below this confidence are noise rather than a plausible reading of the message.
MIN_CONFIDENCE = 0.05
# An emergency reading this likely puts the help line first, even if it is not the best guess.
MIN_EMERGENCY_CONFIDENCE = 0.15
# "No" in Rasa's two-stage fallback is the out_of_scope intent.
SOMETHING_ELSE = {"title": "Something else", "payload": "/out_of_scope"}
# Not offered: fallback itself, and intents whose button would mean nothing out of context.
NEVER_OFFERED = {"nlu_fallback", "out_of_scope", "restart", "affirm", "deny", "stop",
                 "resume_flow", "what_about", "tell_me_more", "ask_source", "request_drugs",
                 "request_dose_for_high", "request_use_tips"}
EMERGENCY_INTENTS = {"crisis_overdose", "crisis_suicide", "crisis_self_harm",
                     "crisis_medical_danger", "crisis_medication_mistake", "crisis_general"}
# The emergency line in the user's region and language (a generated response with a variation
# per region and language, domain/safety.yml), never a number written here.
EMERGENCY_LINE_RESPONSE = "utter_emergency_line_general"


def load_labels(path: Path = LABELS_FILE) -> Dict[Text, Text]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["intent"]: row["label"] for row in csv.DictReader(handle)}


LABELS = load_labels()


def label(intent: Text, subject: Optional[Text]) -> Optional[Text]:
    """The button label; labels about a subject ("How long {subject} lasts") need one."""
    text = LABELS.get(intent)
    if text and "{subject}" in text:
        return text.replace("{subject}", subject.replace("_", " ")) if subject else None
    return text


def candidate_intents(intent_ranking: List[Dict[Text, Any]],
                      subject: Optional[Text] = None) -> List[Text]:
    """The most likely intents the user may have meant, best first."""
    candidates = []
    for entry in intent_ranking:
        name = entry.get("name")
        if (
            name not in NEVER_OFFERED
            and label(name, subject)
            and entry.get("confidence", 0.0) >= MIN_CONFIDENCE
        ):
            candidates.append(name)
        if len(candidates) == MAX_CANDIDATES:
            break
    return candidates


class ActionDefaultAskAffirmation(Action):
    def name(self) -> Text:
        return "action_default_ask_affirmation"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[Text, Any],
    ) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        subject = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                        if e.get("entity") == "subject"), None) or tracker.get_slot("subject")
        candidates = candidate_intents(ranking, subject)
        if not candidates:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []

        if any(entry.get("name") in EMERGENCY_INTENTS
               and entry.get("confidence", 0.0) >= MIN_EMERGENCY_CONFIDENCE
               for entry in ranking):
            dispatcher.utter_message(response=EMERGENCY_LINE_RESPONSE)
        buttons = [
            {"title": label(intent, subject),
             "payload": f'/{intent}{{"subject": "{subject}"}}' if "{subject}" in LABELS[intent]
             else f"/{intent}"}
            for intent in candidates
        ]
        dispatcher.utter_message(text="Sorry, I'm not sure I understood. Did you mean:",
                                 buttons=buttons + [SOMETHING_ELSE])
        return []
