"""Rasa's logistic regression intent classifier, with three fixes we need.

- Its regularisation strength `C` is configurable (Rasa fixes it at scikit-learn's default, 1.0,
  which spreads probability thinly over our ~75 intents and sends too much to the fallback).
- It loads back after Rasa restores it from the training cache under another node name: Rasa's
  version names its file after the node ("train_LogisticRegressionClassifier5.skops") and looks
  for the new name, so adding a component before it in config.yml broke loading.
- It predicts without copying its weights: scikit-learn multiplies the features by the
  transposed weight matrix, which scipy copies into row order on every message (about 1.5 ms of
  each message with ~80 intents); we keep one row-ordered copy.
"""
from __future__ import annotations

import logging

import numpy as np
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH

logger = logging.getLogger(__name__)
MODEL_FILE = "classifier.skops"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class IntentClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"])

    def train(self, training_data: TrainingData) -> Resource:
        self._weights = None  # the weights change; their row-ordered copy is made again
        return super().train(training_data)

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.clf, model_dir / MODEL_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> IntentClassifier:
        import skops.io as sio

        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                untrusted = sio.get_untrusted_types(file=path)
                if untrusted:
                    raise ValueError(f"untrusted types in {path}: {untrusted}")
                component.clf = sio.load(path, trusted=untrusted)
        except (ValueError, OSError):
            logger.warning(f"No trained intent classifier in {resource.name}; "
                           "every message will go to the fallback until it is retrained.")
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted

        try:
            check_is_fitted(self.clf)
        except NotFittedError:
            return messages  # no reading: the FallbackClassifier asks "did you mean"
        if not self._is_multinomial():
            return super().process(messages)
        probabilities = self._probabilities(self._create_X(messages))
        ranking_length = self.config[RANKING_LENGTH]
        for message, row in zip(messages, probabilities):
            ranking = sorted(({"name": name, "confidence": float(confidence)}
                              for name, confidence in zip(self.clf.classes_, row)),
                             key=lambda entry: -entry["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY,
                        ranking[:ranking_length] if ranking_length > 0 else ranking,
                        add_to_output=True)
        return messages

    def _is_multinomial(self) -> bool:
        # scikit-learn's predict_proba is the softmax of the scores in exactly this case.
        return (len(self.clf.classes_) > 2 and self.clf.solver != "liblinear"
                and self.clf.multi_class in ("auto", "multinomial"))

    def _probabilities(self, features) -> np.ndarray:
        from scipy.special import softmax

        if getattr(self, "_weights", None) is None:
            self._weights = np.ascontiguousarray(self.clf.coef_.T)
        return softmax(features @ self._weights + self.clf.intercept_, axis=1)
