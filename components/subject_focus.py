"""Marks which subject a question is about when a message names more than one.

Rasa fills the `subject` slot from the last subject entity in a message, which is wrong for
"is sober living a good idea after rehab?" (about sober living) or "how long is iop after
inpatient?" (about IOP). A subject named after "after", "before", "from", "during", "like",
"than", "instead of" ... sets the scene rather than being asked about, so this component gives it
the entity role `context`; the slot's entity mapping takes only entities without a role, so it
is filled from the subject actually asked about. Comparisons name two subjects on purpose and are
left alone (action_compare reads every subject entity, whatever its role).
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
    r"finished|finishing|completed|done with|through)\s+(?:a |an |the |my |his |her |their )?$",
    re.IGNORECASE)
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
            self._mark_scene_subjects(message)
        return messages

    @staticmethod
    def _mark_scene_subjects(message: Message) -> None:
        intent = (message.get(INTENT) or {}).get("name")
        subjects = [e for e in message.get(ENTITIES) or [] if e.get("entity") == ENTITY]
        if intent in LEFT_ALONE or len({e.get("value") for e in subjects}) < 2:
            return
        text = message.get(TEXT) or ""
        scene = [e for e in subjects if SCENE_WORDS.search(text[:e["start"]])]
        # At least one subject must stay the topic; if every one reads as scene, change nothing
        # (Rasa's default, the last one named, stands).
        if scene and len(scene) < len(subjects):
            for entity in scene:
                entity["role"] = CONTEXT_ROLE
