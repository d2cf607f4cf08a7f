"""Marks which subject a question is about when a message names more than one.

Rasa fills the `subject` slot from the last subject entity in a message, which is wrong for
"is sober living a good idea after rehab?" (about sober living) or "how long is iop after
inpatient?" (about IOP). A subject named after "after", "before", "from", "during", "like",
"than", "instead of", "is on", "people on", "stay on" ..., or a setting named after "in" or
"at", sets the scene rather than being asked about, so this component gives it the entity role
`context`; the slot's entity mapping takes only entities without a role, so it is filled from
the subject actually asked about. Comparisons name two subjects on purpose and are left alone
(action_compare reads every subject entity, whatever its role).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

ENTITY = "subject"
CONTEXT_ROLE = "context"
# Words right before a subject name that make it the setting of the question, not its topic.
SCENE_WORDS = re.compile(
    r"\b(?:after|before|from|during|like|than|instead of|out of|off|leaving|left|"
    r"finished|finishing|completed|done with|through|(?:is|am|are|was|im|i'm|hes|he's|shes|"
    r"she's|theyre|they're|being|stay|stays|staying|stayed|people|patients|someone|somebody|"
    r"anyone|those|folks|person|youre|you're) on)\s+(?:a |an |the |my |his |her |their )?$",
    re.IGNORECASE)
# "In" sets the scene only for a place ("work in outpatient"); "naloxone in suboxone" is about
# suboxone.
IN_A_PLACE = re.compile(r"\b(?:in|into|at)\s+(?:a |an |the |my |his |her |their )?$",
                        re.IGNORECASE)
# "Go to rehab" sets the scene only after the topic is named: "is craft good for a mom whose son
# won't go to rehab" is about CRAFT, "after detox, should he go to rehab?" about rehab.
GOING_TO = re.compile(r"\b(?:go|goes|going|went|get|gets|getting|got)\s+(?:to|into)\s+"
                      r"(?:a |an |the |my |his |her |their )?$", re.IGNORECASE)
# The settings among the subject values (domain/knowledge.yml, slot `subject`).
SETTINGS = {"inpatient", "partial_hospitalization", "intensive_outpatient", "outpatient", "detox",
            "short_term_residential", "long_term_residential", "sober_living"}
LEFT_ALONE = {"compare", "what_about"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class SubjectFocus(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SubjectFocus:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._order_subjects_by_position(message)
            self._mark_scene_subjects(message)
        return messages

    @staticmethod
    def _order_subjects_by_position(message: Message) -> None:
        """Rasa's regex extractor lists matches pattern by pattern (the lookup table's names,
        then each pattern's: "NA", "done"...), and the slot takes the last in the list, so "tell
        me about MET and cbt" would set MET. Subject entities are put in the order they are named.
        """
        entities = list(message.get(ENTITIES) or [])
        places = [i for i, e in enumerate(entities) if e.get("entity") == ENTITY]
        in_order = sorted((entities[i] for i in places), key=lambda e: e.get("start", 0))
        for place, entity in zip(places, in_order):
            entities[place] = entity
        if places:
            message.set(ENTITIES, entities, add_to_output=True)

    @staticmethod
    def _mark_scene_subjects(message: Message) -> None:
        intent = (message.get(INTENT) or {}).get("name")
        # Already in the order they are named (_order_subjects_by_position).
        subjects = [e for e in message.get(ENTITIES) or [] if e.get("entity") == ENTITY]
        if intent in LEFT_ALONE or len({e.get("value") for e in subjects}) < 2:
            return
        text = message.get(TEXT) or ""
        scene = [e for e in subjects if SCENE_WORDS.search(text[:e["start"]])
                 or (e.get("value") in SETTINGS and IN_A_PLACE.search(text[:e["start"]]))]
        if subjects[0] not in scene:
            scene += [e for e in subjects[1:] if e not in scene and e.get("value") in SETTINGS
                      and GOING_TO.search(text[:e["start"]])]
        if len(scene) == len(subjects):
            # Every one reads as scene ("how long do you stay in rehab after detox"): the first
            # named is the topic.
            scene = subjects[1:]
        for entity in scene:
            entity["role"] = CONTEXT_ROLE
