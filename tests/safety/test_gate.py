"""The crisis gate (safety/gate.py): trains, stores as plain data, and separates danger."""
import json

import pytest

from conftest import PROJECT
from safety.gate import CrisisGate, load_examples

DANGER = ["he went limp after using and won't wake", "she is grey and not waking up",
          "my friend collapsed after a shot and is barely breathing", "i want to end it all",
          "he's blue and cold on the bathroom floor", "I can't keep my eyes open after using"]
SAFE = ["how long does methadone stay in your system", "what is the cost of rehab",
        "my husband fell asleep on the sofa watching tv", "I'm tapering my dose slowly",
        "where can I buy naloxone", "I feel sleepy after work every day"]


def test_the_gate_round_trips_as_plain_data_and_separates_danger():
    gate = CrisisGate.train(DANGER, SAFE)
    copy = CrisisGate.from_dict(json.loads(json.dumps(gate.to_dict())))
    for text in DANGER + SAFE:
        assert copy.probability(text) == pytest.approx(gate.probability(text))
    assert copy.probability("my brother went limp after using") > \
        copy.probability("my brother fell asleep watching tv")


def test_the_shipped_hard_negatives_load():
    examples = load_examples(PROJECT / "data" / "safety" / "not_crisis_examples.yml")
    assert len(examples) >= 200 and all(isinstance(e, str) and e for e in examples)


def test_a_malformed_examples_file_is_refused(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("examples: [a, b]\n")
    with pytest.raises(ValueError, match="version: 1"):
        load_examples(path)
