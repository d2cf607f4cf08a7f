"""Builds the English spaCy pipeline that Rasa's SpacyNLP loads.

No trained spaCy model can be downloaded here, and third-party re-uploads are not allowed, so we
build our own from spaCy's parts: the English tokenizer plus a lookup lemmatizer whose tables come
from Explosion's `spacy-lookups-data`. The tables are serialised into the pipeline, so at run time
nothing but spaCy itself is needed.

The pipeline has no word vectors: intents are featurised with Rasa's count-vector featurizers on
the lemmas this pipeline provides.

Usage: python -m spacy_pipeline.build [OUTPUT_DIR]
"""
import sys
from pathlib import Path

import spacy

# Bump together with the path in config.yml: Rasa fingerprints SpacyNLP by its model name only,
# so a changed pipeline must get a new name to trigger retraining.
PIPELINE_NAME = "en_waypoint"
PIPELINE_VERSION = "1.0.0"
DEFAULT_OUTPUT = Path("build/spacy") / f"{PIPELINE_NAME}-{PIPELINE_VERSION}"


def build() -> "spacy.language.Language":
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data into the lemmatizer
    nlp.meta.update(
        {
            "name": PIPELINE_NAME,
            "version": PIPELINE_VERSION,
            "description": "Waypoint's English pipeline: tokenizer + lookup lemmatizer, no vectors.",
            "license": "MIT (tables: spacy-lookups-data, MIT)",
        }
    )
    return nlp


def main(argv: list) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    nlp = build()
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    print(f"spaCy pipeline {PIPELINE_NAME} {PIPELINE_VERSION} written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
