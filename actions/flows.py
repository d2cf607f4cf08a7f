"""Results of the guided flows (domain/flows.yml).

The texts are domain responses; these actions only decide which ones fit the answers, so a
curator can change every word without touching Python.
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

LEVEL_OF_CARE_SLOTS = ["loc_severe", "loc_conditions", "loc_home_risky", "loc_support",
                       "loc_work", "loc_travel"]
SELF_CHECK_SLOTS = ["sc_larger_amounts", "sc_cut_down", "sc_time_spent", "sc_craving",
                    "sc_obligations", "sc_social_problems", "sc_activities_given_up",
                    "sc_hazardous_use", "sc_health_problems", "sc_tolerance", "sc_withdrawal"]


def settings_that_fit(answers: Dict[Text, bool]) -> List[Text]:
    """Which settings match the answers, most intensive first, by the criteria in NIH's
    "Treatment settings" and the PHP/IOP papers the sources cite."""
    severe = answers.get("loc_severe")
    conditions = answers.get("loc_conditions")
    risky_home = answers.get("loc_home_risky")
    support = answers.get("loc_support")
    travel = answers.get("loc_travel")
    fits = []
    if severe or conditions or risky_home or not support:
        fits.append("inpatient")
    if severe and support and travel and not risky_home:
        fits.append("php")
    if not severe and travel and (conditions or not support or answers.get("loc_work")):
        fits.append("iop")
    if not severe and not conditions and support and not risky_home:
        fits.append("outpatient")
    return fits or ["iop"]


def severity(count: int) -> Text:
    """DSM-5: 2-3 criteria in 12 months mild, 4-5 moderate, 6 or more severe."""
    if count < 2:
        return "none"
    if count <= 3:
        return "mild"
    return "moderate" if count <= 5 else "severe"


class ActionLevelOfCareResult(Action):
    def name(self) -> Text:
        return "action_level_of_care_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answers = {slot: tracker.get_slot(slot) for slot in LEVEL_OF_CARE_SLOTS}
        dispatcher.utter_message(response="utter_loc_result_intro")
        for setting in settings_that_fit(answers):
            dispatcher.utter_message(response=f"utter_loc_fits_{setting}")
        if answers.get("loc_travel") is False:
            dispatcher.utter_message(response="utter_loc_travel_note")
        dispatcher.utter_message(response="utter_loc_closing")
        return [SlotSet(slot, None) for slot in LEVEL_OF_CARE_SLOTS] + \
            [SlotSet("interrupted_flow", None)]


class ActionSelfCheckResult(Action):
    def name(self) -> Text:
        return "action_self_check_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        count = sum(1 for slot in SELF_CHECK_SLOTS if tracker.get_slot(slot) is True)
        dispatcher.utter_message(response=f"utter_self_check_{severity(count)}", count=count)
        dispatcher.utter_message(response="utter_self_check_next")
        return [SlotSet(slot, None) for slot in SELF_CHECK_SLOTS] + \
            [SlotSet("interrupted_flow", None)]
