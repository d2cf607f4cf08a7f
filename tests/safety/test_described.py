"""Emergencies described rather than named (issue 14), development set: the RIGHT reply first.

Every case in tests/safety/phrasings/dev/described.yml (scenes, symptoms, slang, double doses,
bare calls, messages that bury the scene or bring the danger in a second message, regions,
Spanish) must get the reply for its category and for who is in danger as the first message, in
the right region and language: a bystander describing an overdose needs the naloxone steps, not
the suicide reply. Its benign counterpart (tapering talk, naloxone questions...) is in
dev/benign_described.yml and is run with the other benign messages by test_safety_suite.py.
"""
import uuid

from crisis_cases import PHRASINGS
from described_cases import first_reply, load, score

CASES = PHRASINGS / "dev" / "described.yml"


def test_every_described_emergency_gets_the_right_reply_first(agent, loop):
    cases = load(CASES)
    assert len(cases) >= 250
    failures = []
    for case in cases:
        texts = list(case.get("before") or []) + [case["text"]]
        case["got"], _ = loop.run_until_complete(first_reply(
            agent, texts, case.get("metadata"), f"described-{uuid.uuid4().hex}"))
        if not score(case)["+region"]:
            failures.append(f"[{case['stratum']}] {case['text']!r}: expected "
                            f"{sorted(case['right'])} in {case['region']}/{case['lang']}, "
                            f"got {case['got']}")
    print(f"\nDescribed emergencies (dev): right reply first on "
          f"{len(cases) - len(failures)}/{len(cases)}")
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures)
