"""Shows the intent classifier "a subject" where a message names a medication, setting or therapy.

"What is cognitive behavioural therapy?" and "what is cbt?" ask the same thing; the answer comes
from the `subject` entity, and the intent should not depend on which subject is named. Without
this, the long name's words ("therapy", "behavioural") pulled such questions to the general
`ask_therapies` intent. The masker gives the first token of a subject name one placeholder
lemma (SUBJECT_LEMMA) and the name's other tokens an empty one, so "methadone maintenance
treatment" counts as one subject, like "methadone". Lemmas are what the count-vector featurizers
read; the token text, the entities and the crisis detector (which reads the raw text) are
untouched.

The subject names are the `subject` lookup table of the training data, plus its `subject` regex
patterns (names that are also everyday words, such as "NA", are only read as names in some
contexts), matched the same way on training examples and on live messages, so both are masked
alike whether or not an example was annotated.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

SUBJECT_LEMMA = "subjectname"
NAMES_FILE = "subject_names.json"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SubjectMasker(GraphComponent):
    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lookup_table": "subject"}

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """Retrain when this file changes: Rasa's cache would otherwise load what an older
        version stored."""
        return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage,
                 resource: Resource, names: Optional[List[Text]] = None,
                 patterns: Optional[List[Text]] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._set_names(names or [], patterns or [])

    def _set_names(self, names: List[Text], patterns: List[Text]) -> None:
        self.names = sorted({n.strip().lower() for n in names if n.strip()}, key=len,
                            reverse=True)
        self.patterns = list(patterns)
        alternatives = ([r"(?<!\w)(?:" + "|".join(map(re.escape, self.names)) + r")(?!\w)"]
                        if self.names else []) + [f"(?:{p})" for p in self.patterns]
        # Names first: where a name and a pattern both match, the longer name wins.
        self._pattern = (re.compile("|".join(alternatives), re.IGNORECASE)
                         if alternatives else None)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SubjectMasker:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        names = [element for table in training_data.lookup_tables
                 if table.get("name") == self.config["lookup_table"]
                 for element in table.get("elements", [])]
        patterns = [regex["pattern"] for regex in training_data.regex_features
                    if regex.get("name") == self.config["lookup_table"]]
        self._set_names(names, patterns)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / NAMES_FILE).write_text(
                json.dumps({"names": self.names, "patterns": self.patterns}), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> SubjectMasker:
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / NAMES_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            stored = {}
        if isinstance(stored, list):  # stored by an older version: names only
            stored = {"names": stored}
        return cls(config, model_storage, resource, stored.get("names"), stored.get("patterns"))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._pattern is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            tokens = message.get(TOKENS_NAMES[TEXT])
            if not text or not tokens:
                continue
            for start, end in (match.span() for match in self._pattern.finditer(text)):
                inside = [t for t in tokens if start <= t.start and t.end <= end]
                # One placeholder per name: "methadone maintenance treatment" counts as one
                # subject, like "methadone"; the name's other tokens are left out of the counts.
                for position, token in enumerate(inside):
                    token.lemma = SUBJECT_LEMMA if position == 0 else ""
        return messages
