"""CrisisDetector: the Rasa NLU component that gives safety the last word on every message.

It runs after the intent classifier and the FallbackClassifier. When the crisis lexicon says the
message is an emergency it overrides the intent with `crisis_<category>` at full confidence;
when the message only mentions an emergency topic it keeps the intent and adds an
`emergency_mention` entity (the SafetyPolicy then adds a short emergency line to the answer). It
also reports who is in danger (`crisis_person`), the language of the crisis words (`language`)
and a location cue or the channel's region (`region`) as entities, which fill the slots the
emergency responses are chosen by.

It never raises on a message. If anything goes wrong it marks the message with
`emergency_mention: unknown`, so the reply carries the emergency line: failing towards help.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import (
    ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE, EXTRACTOR, INTENT, INTENT_RANKING_KEY, METADATA, TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from safety.detection import Detection, detect, overdose_if_after_use, region_from_metadata
from safety.gate import CrisisGate, load_examples
from safety.lexicon import CompiledLexicon, Lexicon, LexiconError, common_english_words

logger = logging.getLogger(__name__)

LEXICON_FILE = "lexicon.json"
KNOWN_WORDS_FILE = "known_words.json"
GATE_FILE = "crisis_gate.json"
SPACY_FILE = "spacy_model.json"
UNKNOWN = "unknown"
CRISIS_PREFIX = "crisis_"
FALLBACK_INTENT = "nlu_fallback"
# Below this, the classifier's next reading is a guess: ask "did you mean" instead.
MIN_OTHER_CONFIDENCE = 0.2


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
    model_from="SpacyNLP",
)
class CrisisDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"lexicon": "data/safety/crisis_lexicon.yml",
                "not_crisis_examples": "data/safety/not_crisis_examples.yml"}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy"]

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the lexicon, the gate's examples or this code change, not only when the
        config does."""
        digest = hashlib.sha256()
        defaults = cls.get_default_config()
        for key in ("lexicon", "not_crisis_examples"):
            path = Path(config.get(key, defaults[key]))
            digest.update(path.read_bytes() if path.exists() else b"")
        for module in ("detector.py", "detection.py", "lexicon.py", "gate.py"):
            digest.update((Path(__file__).parent / module).read_bytes())
        return digest.hexdigest()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        lexicon_data: Optional[Dict] = None,
        known_words: Optional[List[str]] = None,
        gate: Optional[CrisisGate] = None,
    ) -> None:
        self._gate = gate
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._lexicon_data = lexicon_data
        self._known_words = known_words or []
        self._compiled: Optional[CompiledLexicon] = None

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> CrisisDetector:
        return cls(config, model_storage, resource)

    # --- training: check the lexicon and store it in the model ---------------------------------

    def train(self, training_data: TrainingData, model: SpacyModel) -> Resource:
        import yaml

        path = Path(self._config["lexicon"])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            lexicon = Lexicon.from_dict(data, source=str(path))
        except (OSError, yaml.YAMLError) as error:
            raise LexiconError(f"Cannot read the crisis lexicon {path}: {error}") from error
        # Frequent English words are never typos of a crisis word. (Not the training data's
        # words: the examples spell things the way people do, typos included.)
        known = common_english_words()
        CompiledLexicon(model.model, lexicon, known)  # fails the training on a bad phrase
        self._lexicon_data = data
        self._known_words = sorted(known)
        self._gate = self._train_gate(training_data)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / GATE_FILE).write_text(json.dumps(self._gate.to_dict()),
                                               encoding="utf-8")
            (directory / LEXICON_FILE).write_text(json.dumps(data), encoding="utf-8")
            (directory / SPACY_FILE).write_text(json.dumps(model.model_name), encoding="utf-8")
            (directory / KNOWN_WORDS_FILE).write_text(json.dumps(self._known_words),
                                                      encoding="utf-8")
        return self._resource

    def _train_gate(self, training_data: TrainingData) -> CrisisGate:
        positives, negatives = [], []
        for example in training_data.intent_examples:
            text, intent = example.get(TEXT), str(example.get(INTENT) or "")
            if text:
                (positives if intent.startswith(CRISIS_PREFIX) else negatives).append(text)
        negatives += load_examples(self._config.get(
            "not_crisis_examples", self.get_default_config()["not_crisis_examples"]))
        return CrisisGate.train(positives, negatives)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> CrisisDetector:
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / LEXICON_FILE).read_text(encoding="utf-8"))
                known = json.loads((directory / KNOWN_WORDS_FILE).read_text(encoding="utf-8"))
                spacy_model = json.loads((directory / SPACY_FILE).read_text(encoding="utf-8"))
                gate = CrisisGate.from_dict(json.loads(
                    (directory / GATE_FILE).read_text(encoding="utf-8")))
        except Exception:  # noqa: BLE001 - a broken model must still show help, not crash
            logger.exception("CrisisDetector: cannot load its lexicon; every reply will carry "
                             "the emergency line until the model is retrained.")
            return cls(config, model_storage, resource)
        detector = cls(config, model_storage, resource, data, known, gate)
        detector._compile_now(spacy_model)
        return detector

    def _compile_now(self, spacy_model: str) -> None:
        """Compiles the matchers at start-up (about a second) rather than on the first message."""
        try:
            self._lexicon(SpacyNLP.load_model(spacy_model))
        except Exception:  # noqa: BLE001 - the first message will try again
            logger.exception("CrisisDetector: could not compile at start-up.")

    # --- prediction -----------------------------------------------------------------------------

    def _lexicon(self, model: SpacyModel) -> Optional[CompiledLexicon]:
        # Compiled once, with whichever spaCy pipeline comes first (the same one on disk): the
        # detector analyses text with that pipeline itself.
        if self._compiled is None and self._lexicon_data is not None:
            self._compiled = CompiledLexicon(model.model, Lexicon.from_dict(self._lexicon_data),
                                             self._known_words)
        return self._compiled

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            try:
                lexicon = self._lexicon(model)
                if lexicon is None:
                    raise LexiconError("no lexicon in the model")
                detection = detect(lexicon, message.get(TEXT) or "", message.get(METADATA))
                self._apply(message, detection)
            except Exception:  # noqa: BLE001 - never let safety fail silently
                logger.exception("CrisisDetector failed on a message; adding the emergency line.")
                self._mark_unknown(message)
        return messages

    def process_training_data(self, training_data: TrainingData,
                              model: SpacyModel) -> TrainingData:
        return training_data  # detection only matters for live messages

    @staticmethod
    def _entity(name: str, value: str) -> Dict[str, Any]:
        return {ENTITY_ATTRIBUTE_TYPE: name, ENTITY_ATTRIBUTE_VALUE: value,
                ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: 0,
                EXTRACTOR: CrisisDetector.__name__}

    def _add_entities(self, message: Message, entities: List[Dict[str, Any]]) -> None:
        message.set(ENTITIES, (message.get(ENTITIES) or []) + entities, add_to_output=True)

    def _apply(self, message: Message, detection: Detection) -> None:
        entities = []
        if detection.region:
            entities.append(self._entity("region", detection.region))
        if detection.kind == "crisis":
            intent = {"name": f"crisis_{detection.category}", "confidence": 1.0}
            ranking = [intent] + [r for r in message.get(INTENT_RANKING_KEY) or []
                                  if r.get("name") != intent["name"]]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            entities += [self._entity("crisis_person", detection.person),
                         self._entity("language", detection.language)]
        elif detection.kind == "mention":
            entities += [self._entity("emergency_mention", detection.category),
                         self._entity("language", detection.language)]
            self._not_an_emergency(message)
        elif self._classifier_says_crisis(message):
            # The classifier, our second net, read a crisis the lexicon did not see. Trust it,
            # unless the lexicon saw why it is not one: an idiom ("dead tired"), the past, a
            # what-if, or words that rule its category out ("cutting my dose"). In a question, ask "did you mean" with the emergency line first.
            category = str(message.get(INTENT)["name"])[len(CRISIS_PREFIX):]
            gate_disagrees = (self._gate is not None and category != "general"
                              and not self._gate.agrees(message.get(TEXT) or ""))
            if gate_disagrees or detection.frames & {"idiom", "past", "what_if",
                                                      f"not:{category}"}:
                self._not_an_emergency(message)
            elif "question" in detection.frames:
                message.set(INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0},
                            add_to_output=True)
            else:
                # The classifier read a crisis: say for whom and in which language, as the
                # lexicon would, and read a collapse after drug use as an overdose.
                after_use = overdose_if_after_use(category, detection.context)
                if after_use != category:
                    intent = dict(message.get(INTENT), name=f"{CRISIS_PREFIX}{after_use}")
                    message.set(INTENT, intent, add_to_output=True)
                if detection.person_guess:
                    entities.append(self._entity("crisis_person", detection.person_guess))
                entities.append(self._entity("language", detection.language))
        if detection.language == "es" and not any(e[ENTITY_ATTRIBUTE_TYPE] == "language"
                                                  for e in entities):
            # Spanish with no crisis words: the "did you mean" step's line in Spanish too.
            entities.append(self._entity("language", "es"))
        if entities:
            self._add_entities(message, entities)
        if detection.kind != "none":
            message.set("crisis_detection", {"kind": detection.kind,
                                             "category": detection.category,
                                             "matched": detection.matched}, add_to_output=True)

    @staticmethod
    def _classifier_says_crisis(message: Message) -> bool:
        return str((message.get(INTENT) or {}).get("name", "")).startswith(CRISIS_PREFIX)

    @staticmethod
    def _not_an_emergency(message: Message) -> None:
        """The lexicon saw an emergency topic asked about, not happening ("what are the signs of
        an overdose?"). If the classifier read it as a crisis, take its best other reading
        instead; the emergency line still comes with the answer."""
        intent = message.get(INTENT) or {}
        if not str(intent.get("name", "")).startswith(CRISIS_PREFIX):
            return
        others = [r for r in message.get(INTENT_RANKING_KEY) or []
                  if not str(r.get("name", "")).startswith(CRISIS_PREFIX)
                  and r.get("name") != FALLBACK_INTENT]
        if others and others[0].get("confidence", 0.0) >= MIN_OTHER_CONFIDENCE:
            message.set(INTENT, others[0], add_to_output=True)
        else:
            message.set(INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0}, add_to_output=True)

    def _mark_unknown(self, message: Message) -> None:
        try:
            entities = [self._entity("emergency_mention", UNKNOWN)]
            region = region_from_metadata(message.get(METADATA))
            if region:
                entities.append(self._entity("region", region))
            self._add_entities(message, entities)
        except Exception:  # noqa: BLE001
            logger.exception("CrisisDetector could not mark the message either.")
