"""Actions that choose among answers: comparisons, "is X enough on its own?" and "where is that
from?".

They only choose which domain response to send; every word is in domain/answers/.
"""
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

# The canonical order of subjects (docs/knowledge.md); comparison responses are named
# utter_compare_<a>__<b> with a before b in this order.
MEDICATIONS = [
    "methadone", "buprenorphine", "suboxone", "naltrexone", "naloxone", "diamorphine",
    "lofexidine",
]
SUBJECTS = MEDICATIONS + [
    "inpatient", "partial_hospitalization", "intensive_outpatient", "outpatient",
    "detox", "short_term_residential", "long_term_residential", "sober_living", "cbt", "dbt",
    "met", "contingency_management", "community_reinforcement", "family_therapy", "talk_therapy",
    "group_counseling", "individual_counseling", "twelve_step",
]
SOURCE_PREFIX = "Source: "
DEFAULT_REGION = "US"  # the `region` slot's initial value (domain/core.yml)


def subject_before_this_message(tracker: Tracker) -> Optional[Text]:
    """The subject being discussed before the latest message ("compare *it* with X")."""
    seen_latest_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_user_message:
                continue
            seen_latest_user_message = True
        elif (seen_latest_user_message and event.get("event") == "slot"
              and event.get("name") == "subject" and event.get("value") in SUBJECTS):
            return event["value"]
    return None


def subjects_named(tracker: Tracker) -> List[Text]:
    """The subjects the latest message names, in order, once per mention."""
    return [entity.get("value") for entity in tracker.latest_message.get("entities") or []
            if entity.get("entity") == "subject" and entity.get("value") in SUBJECTS]


def comparison_pair(tracker: Tracker) -> List[Text]:
    named = list(dict.fromkeys(subjects_named(tracker)))
    if len(named) == 1:
        earlier = subject_before_this_message(tracker)
        if earlier and earlier != named[0]:
            named.insert(0, earlier)
    return sorted(named[:2], key=SUBJECTS.index)


def names_one_subject_twice(tracker: Tracker) -> bool:
    """Two names in the message, both for the same subject ("subs" and "buprenorphine")."""
    named = subjects_named(tracker)
    return len(named) >= 2 and len(set(named)) == 1


def variation_for(variations: List[Dict[Text, Any]], subject: Text,
                  region: Optional[Text] = None) -> Optional[Text]:
    """The text of the response variation conditioned on `subject` (domain/answers/subjects.yml).
    A subject's answer that names an emergency number has one variation per region (generated,
    data/safety/regional_responses.yml): the one for `region` (US when unknown), as Rasa would
    pick it."""
    for variation in variations:
        conditions = {condition.get("name"): condition.get("value")
                      for condition in variation.get("condition") or []}
        if conditions.get("subject") != subject:
            continue
        if conditions.get("region", region or DEFAULT_REGION) == (region or DEFAULT_REGION):
            return variation.get("text")
    return None


class ActionCompare(Action):
    def name(self) -> Text:
        return "action_compare"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        responses = domain.get("responses") or {}
        summaries = responses.get("utter_what_is") or []
        region = tracker.get_slot("region")
        pair = comparison_pair(tracker)
        if len(pair) == 1 and names_one_subject_twice(tracker):
            # Two names for one medicine ("subutex vs sublocade") are usually brands that differ
            # in form, so its forms answer; anything else ("is a halfway house the same as sober
            # living?", "NA or AA") shares one answer as the same kind of thing.
            forms = (variation_for(responses.get("utter_forms") or [], pair[0], region)
                     if pair[0] in MEDICATIONS else None)
            summary = forms or variation_for(summaries, pair[0], region)
            if summary:
                dispatcher.utter_message(
                    response="utter_compare_same_medicine" if forms else "utter_compare_same")
                dispatcher.utter_message(text=summary)
                return [SlotSet("subject", pair[0])]
        if len(pair) < 2:
            dispatcher.utter_message(response="utter_compare_which")
            return []
        response = f"utter_compare_{pair[0]}__{pair[1]}"
        if response in responses:
            dispatcher.utter_message(response=response)
        else:
            # No written comparison of this pair: each one's sourced summary, side by side,
            # rather than a dead end.
            dispatcher.utter_message(response="utter_compare_unknown")
            for subject in pair:
                summary = variation_for(summaries, subject, region)
                if summary:
                    dispatcher.utter_message(text=summary)
        # Follow-ups after a comparison are about the subject named last.
        return [SlotSet("subject", pair[-1])]


class ActionAnswerDetoxNotEnough(Action):
    """ "Is detox enough?" and "is X enough on its own?" share their wording, but for any X other
    than detox the question is how well X works: its effectiveness answer, not detox's."""

    def name(self) -> Text:
        return "action_answer_detox_not_enough"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        named = subjects_named(tracker)
        if named and "detox" not in named:
            # The subject slot already holds the named subject (its mapping ran first).
            dispatcher.utter_message(response="utter_effectiveness")
            return [SlotSet("aspect", "effectiveness")]
        dispatcher.utter_message(response="utter_detox_not_enough")
        return []


def last_source(tracker: Tracker) -> Optional[Text]:
    for event in reversed(tracker.events):
        if event.get("event") != "bot":
            continue
        lines = (event.get("text") or "").splitlines()
        for line in reversed(lines):
            if line.startswith(SOURCE_PREFIX):
                return line[len(SOURCE_PREFIX):]
    return None


class ActionLastSource(Action):
    def name(self) -> Text:
        return "action_last_source"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        source = last_source(tracker)
        if source:
            dispatcher.utter_message(response="utter_source", source=source)
        else:
            dispatcher.utter_message(response="utter_no_source")
        return []
