"""Rasa's logistic regression intent classifier, with two fixes we need.

- Its regularisation strength `C` is configurable (Rasa fixes it at scikit-learn's default, 1.0,
  which spreads probability thinly over our ~75 intents and sends too much to the fallback).
- It loads back after Rasa restores it from the training cache under another node name: Rasa's
  version names its file after the node ("train_LogisticRegressionClassifier5.skops") and looks
  for the new name, so adding a component before it in config.yml broke loading.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message

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
        return super().process(messages)
