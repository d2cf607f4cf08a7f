"""The crisis gate: a small learned check that a message reads like danger happening now.

The intent classifier learns the crisis intents among ~100 others, and with many described
emergencies in its data ("he's slumped in the car and won't answer") it also started reading
everyday talk as one ("my husband fell asleep on the sofa snoring again lol"). The gate is a
binary logistic regression on word and character n-grams, trained on every crisis example
(positive) against every other training example plus hard negatives written for it
(data/safety/not_crisis_examples.yml: tapering talk, naloxone questions, past events, what-ifs,
everyday sleepiness). A crisis reading that comes from the classifier alone counts only when the
gate agrees; the lexicon's own emergencies never depend on it.

Stored as plain arrays and a vocabulary in JSON: loading runs no code from the model.
"""
from typing import Dict, List, Sequence

import numpy as np

# Probability of "danger" above which the gate agrees with a crisis reading. Chosen on the
# development sets (tests/safety): low enough that every described emergency there passes.
THRESHOLD = 0.5


class CrisisGate:
    def __init__(self, word_vocab: Dict[str, int], char_vocab: Dict[str, int],
                 idf: np.ndarray, coef: np.ndarray, intercept: float) -> None:
        self.word_vocab, self.char_vocab = word_vocab, char_vocab
        self.idf, self.coef, self.intercept = idf, coef, intercept
        self._vectorizers = None

    # --- training and storage --------------------------------------------------------------

    @classmethod
    def train(cls, positives: Sequence[str], negatives: Sequence[str]) -> "CrisisGate":
        from sklearn.linear_model import LogisticRegression

        texts = list(positives) + list(negatives)
        labels = np.array([1] * len(positives) + [0] * len(negatives))
        words, chars = cls._new_vectorizers()
        features = cls._stack(words.fit_transform(texts), chars.fit_transform(texts))
        model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
        model.fit(features, labels)
        idf = np.concatenate([words.idf_, chars.idf_])
        return cls({k: int(v) for k, v in words.vocabulary_.items()},
                   {k: int(v) for k, v in chars.vocabulary_.items()},
                   idf, model.coef_[0].astype(np.float64), float(model.intercept_[0]))

    def to_dict(self) -> Dict:
        return {"word_vocab": self.word_vocab, "char_vocab": self.char_vocab,
                "idf": self.idf.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: Dict) -> "CrisisGate":
        return cls(data["word_vocab"], data["char_vocab"], np.array(data["idf"]),
                   np.array(data["coef"]), float(data["intercept"]))

    # --- prediction --------------------------------------------------------------------------

    @staticmethod
    def _new_vectorizers():
        from sklearn.feature_extraction.text import TfidfVectorizer

        return (TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                lowercase=True))

    @staticmethod
    def _stack(a, b):
        import scipy.sparse

        return scipy.sparse.hstack([a, b], format="csr")

    def _fitted_vectorizers(self):
        if self._vectorizers is None:
            words, chars = self._new_vectorizers()
            split = len(self.word_vocab)
            for vectorizer, vocab, idf in ((words, self.word_vocab, self.idf[:split]),
                                           (chars, self.char_vocab, self.idf[split:])):
                vectorizer.vocabulary_ = vocab
                vectorizer.idf_ = idf
            self._vectorizers = (words, chars)
        return self._vectorizers

    def probability(self, text: str) -> float:
        words, chars = self._fitted_vectorizers()
        features = self._stack(words.transform([text]), chars.transform([text]))
        score = float(features @ self.coef) + self.intercept
        return float(1.0 / (1.0 + np.exp(-score)))

    def agrees(self, text: str) -> bool:
        return self.probability(text) >= THRESHOLD


def load_examples(path) -> List[str]:
    import yaml
    from pathlib import Path

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("version") != 1 or \
            not isinstance(data.get("examples"), list):
        raise ValueError(f"{path}: expected 'version: 1' and a list of 'examples'")
    return [str(e) for e in data["examples"]]
