"""The "did you mean" step of the two-stage fallback.

Rasa's built-in version shows the raw intent name; ours offers up to three likely topics as
buttons with readable labels (kept as data in intent_labels.csv), plus "Something else". When an
emergency intent is among the candidates the help line comes first: an unsure classifier must
never hide help.
"""
import csv
from pathlib import Path
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

LABELS_FILE = Path(__file__).with_name("intent_labels.csv")
MAX_CANDIDATES = 3
# Candidates below this confidence are noise rather than a plausible reading of the message.
MIN_CONFIDENCE = 0.05
# "No" in Rasa's two-stage fallback is the out_of_scope intent.
SOMETHING_ELSE = {"title": "Something else", "payload": "/out_of_scope"}
NEVER_OFFERED = {"nlu_fallback", "out_of_scope", "restart"}
EMERGENCY_INTENTS = {"crisis_overdose", "crisis_suicide"}
EMERGENCY_LINE = (
    "If someone is in danger, call 911 now. In a crisis, call or text 988."
)


def load_labels(path: Path = LABELS_FILE) -> Dict[Text, Text]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["intent"]: row["label"] for row in csv.DictReader(handle)}


LABELS = load_labels()


def candidate_intents(intent_ranking: List[Dict[Text, Any]]) -> List[Text]:
    """The most likely intents the user may have meant, best first."""
    candidates = []
    for entry in intent_ranking:
        name = entry.get("name")
        if (
            name in LABELS
            and name not in NEVER_OFFERED
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
        candidates = candidate_intents(ranking)
        if not candidates:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []

        lines = []
        if EMERGENCY_INTENTS.intersection(candidates):
            lines.append(EMERGENCY_LINE)
        lines.append("Sorry, I'm not sure I understood. Did you mean:")
        buttons = [
            {"title": LABELS[intent], "payload": f"/{intent}"} for intent in candidates
        ]
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons + [SOMETHING_ELSE])
        return []
