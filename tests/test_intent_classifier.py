"""The intent classifier (components/intent_classifier.py) against scikit-learn's own pipeline.

Its fast prediction path works on each message's non-zero features by hand; these tests hold it to
the same numbers as scikit-learn's tf-idf transform + LinearSVC + temperature softmax, and check
that a stored model loads back to the same predictions.
"""
import numpy as np
import pytest
import scipy.sparse
from scipy.special import softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.svm import LinearSVC

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.intent_classifier import LinearIntentClassifier

EXAMPLES = {
    "ask_methadone": ["what is methadone", "tell me about methadone", "methadone clinic hours",
                      "is methadone safe", "how does methadone work", "methadone info please"],
    "ask_withdrawal": ["what is withdrawal like", "withdrawal symptoms", "how long is withdrawal",
                       "dope sick what helps", "am I in withdrawal", "withdrawal timeline"],
    "greet": ["hello", "hi there", "hey", "good morning", "hiya", "hello again"],
}
UNSEEN = ["methadone withdrawal", "hi what is withdrawal", "morning", "how long does methadone last",
          "something else entirely", "what works"]


class TwoFeaturizers:
    """Word counts, then character n-gram counts: the two blocks our pipeline gives."""

    def __init__(self, texts):
        self.blocks = [CountVectorizer().fit(texts),
                       CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(texts)]
        self.words = len(self.blocks[0].vocabulary_)

    def transform(self, texts):
        return scipy.sparse.hstack([b.transform(texts) for b in self.blocks], format="csr")


def featurised(texts, vectorizer, intents=None):
    blocks = vectorizer.blocks if isinstance(vectorizer, TwoFeaturizers) else [vectorizer]
    messages = []
    for index, text in enumerate(texts):
        data = {"text": text}
        if intents:
            data["intent"] = intents[index]
        message = Message(data=data)
        for number, block in enumerate(blocks):
            counts = scipy.sparse.coo_matrix(block.transform([text]))
            origin = f"run_CountVectorsFeaturizer{number}"
            message.add_features(Features(counts, "sentence", "text", origin))
            message.add_features(Features(counts, "sequence", "text", origin))
        messages.append(message)
    return messages


@pytest.fixture()
def trained(tmp_path):
    texts = [t for examples in EXAMPLES.values() for t in examples]
    intents = [i for i, examples in EXAMPLES.items() for _ in examples]
    vectorizer = TwoFeaturizers(texts + UNSEEN)
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(graph_schema=None, node_name="classifier")
    classifier = LinearIntentClassifier.create(
        {**LinearIntentClassifier.get_default_config(), "calibration_folds": 3},
        storage, resource, context)
    classifier.train(TrainingData(featurised(texts, vectorizer, intents)))
    return classifier, vectorizer, texts, intents, storage, resource, context


def test_probabilities_match_scikit_learn(trained):
    classifier, vectorizer, texts, intents, *_ = trained
    counts = vectorizer.transform(texts)
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    svm = LinearSVC(C=1.0, class_weight="balanced", random_state=42)
    svm.fit(tfidf.transform(counts), intents)
    unseen = tfidf.transform(vectorizer.transform(UNSEEN))
    # Familiarity compares words only: the first block, tf-idf weighted, each row unit length.
    words = slice(0, vectorizer.words)
    word_tfidf = TfidfTransformer(sublinear_tf=True).fit(counts[:, words])
    word_tfidf.idf_ = tfidf.idf_[words]
    nearest = (word_tfidf.transform(vectorizer.transform(UNSEEN)[:, words])
               @ word_tfidf.transform(counts[:, words]).T).max(axis=1).toarray().ravel()
    familiarity = np.minimum(1.0, nearest / classifier.config["min_similarity"])
    expected = softmax(svm.decision_function(unseen) * classifier.temperature, axis=1)

    got = classifier.probabilities(featurised(UNSEEN, vectorizer))

    assert list(classifier.classes) == list(svm.classes_)
    np.testing.assert_allclose(got, expected * familiarity[:, None], atol=1e-4)
    assert (familiarity == 1.0).any() and (familiarity < 1.0).any()  # both paths are tested
    assert (familiarity == 0.0).any()  # "something else entirely": no word we know


def test_a_message_unlike_any_example_loses_confidence(trained):
    classifier, vectorizer, *_ = trained
    familiar, unfamiliar = classifier.probabilities(
        featurised(["what is methadone", "whaat iz methadoone"], vectorizer))
    assert familiar.sum() == pytest.approx(1.0, abs=1e-6) and familiar.max() > 0.5
    # Letters in common, but not one known word: no reading at all.
    assert unfamiliar.sum() == 0.0


def test_temperature_is_fitted_and_confidence_follows_it(trained):
    classifier, vectorizer, *_ = trained
    assert classifier.temperature != pytest.approx(1.0)
    hello, = classifier.process(featurised(["hello"], vectorizer))
    assert hello.get("intent")["name"] == "greet"
    confidences = [r["confidence"] for r in hello.get("intent_ranking")]
    assert confidences == sorted(confidences, reverse=True)
    assert confidences[0] == pytest.approx(hello.get("intent")["confidence"])


def test_stored_model_loads_back_to_the_same_predictions(trained):
    classifier, vectorizer, _, _, storage, resource, context = trained
    loaded = LinearIntentClassifier.load(
        LinearIntentClassifier.get_default_config(), storage, resource, context)
    np.testing.assert_array_equal(loaded.probabilities(featurised(UNSEEN, vectorizer)),
                                  classifier.probabilities(featurised(UNSEEN, vectorizer)))


def test_untrained_classifier_leaves_the_message_to_the_fallback(tmp_path):
    classifier = LinearIntentClassifier.create(
        LinearIntentClassifier.get_default_config(), LocalModelStorage(tmp_path),
        Resource("empty"), ExecutionContext(graph_schema=None, node_name="classifier"))
    vectorizer = CountVectorizer().fit(["hello"])
    message, = classifier.process(featurised(["hello"], vectorizer))
    assert message.get("intent") is None


def test_features_are_read_as_rasa_combines_them():
    words = CountVectorizer().fit(["what is methadone", "hello"])
    letters = CountVectorizer(analyzer="char_wb", ngram_range=(1, 2)).fit(["what is methadone"])
    message = Message(data={"text": "what is methadone"})
    for origin, vectorizer in (("words", words), ("letters", letters)):
        counts = scipy.sparse.coo_matrix(vectorizer.transform([message.get("text")]))
        message.add_features(Features(counts, "sequence", "text", origin))
        message.add_features(Features(counts, "sentence", "text", origin))
    expected = message.get_sparse_features("text")[1].features
    got = LinearIntentClassifier._counts([message])
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.toarray(), expected.toarray())


def test_familiarity_reads_the_word_counts_even_after_other_featurizers():
    message = Message(data={"text": "what is methadone"})
    for origin, width in (("run_RegexFeaturizer2", 3), ("run_CountVectorsFeaturizer5", 7),
                          ("run_CountVectorsFeaturizer6", 11)):
        message.add_features(Features(scipy.sparse.coo_matrix((1, width)), "sentence", "text",
                                      origin))
    assert LinearIntentClassifier._word_block(message) == (3, 10)
