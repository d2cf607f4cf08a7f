"""Microbenchmark: what the crisis detector adds to each message.

Times safety.detection.detect() (normalise, spaCy tokenise + lemmatise, exact and fuzzy matching,
decision) on every phrasing in tests/safety/phrasings, crisis and benign, after a warm-up.

    .venv/bin/python scripts/bench_detector.py
"""
import statistics
import sys
import time
from pathlib import Path

import spacy
import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from safety.detection import detect  # noqa: E402
from safety.lexicon import CompiledLexicon, Lexicon, common_english_words  # noqa: E402


def main() -> int:
    config = yaml.safe_load((PROJECT / "config.yml").read_text())
    pipeline = {c["name"]: c for c in config["pipeline"]}
    nlp = spacy.load(PROJECT / pipeline["SpacyNLP"]["model"])
    lexicon_file = PROJECT / pipeline["safety.detector.CrisisDetector"]["lexicon"]
    started = time.perf_counter()
    lexicon = CompiledLexicon(nlp, Lexicon.from_file(lexicon_file), common_english_words())
    compile_s = time.perf_counter() - started
    texts = [entry["text"] for path in sorted((PROJECT / "tests/safety/phrasings").rglob("*.yml"))
             for entry in yaml.safe_load(path.read_text(encoding="utf-8"))]
    for text in texts[:50]:
        detect(lexicon, text)
    timings = []
    for _ in range(3):
        for text in texts:
            started = time.perf_counter()
            detect(lexicon, text)
            timings.append(time.perf_counter() - started)
    timings.sort()
    print(f"crisis detector: {len(lexicon.lexicon.entries)} lexicon entries, compiled in "
          f"{compile_s:.2f} s (once, when the model loads)")
    print(f"  per message over {len(timings)} runs of {len(texts)} phrasings: "
          f"mean {1000 * statistics.mean(timings):.2f} ms, "
          f"p50 {1000 * timings[len(timings) // 2]:.2f} ms, "
          f"p95 {1000 * timings[int(0.95 * len(timings))]:.2f} ms, "
          f"max {1000 * timings[-1]:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
