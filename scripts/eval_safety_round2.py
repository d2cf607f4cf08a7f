"""Round 2 held-out safety sets: is a DESCRIBED emergency answered with the right reply first?

Runs tests/safety/phrasings/heldout2/crisis.yml and benign.yml (written apart from the lexicon
and the training data, never tuned to) through the newest trained model, each case in a fresh
conversation after its `before` messages, with its `metadata` (a channel's region) on every
message. Replies are recognised as in tests/safety/test_safety_suite.py (crisis_cases.identify).

    .venv/bin/python scripts/eval_safety_round2.py [--no-variants]

Prints, per stratum and per category:
  right      the reply for the case's category and person is the first message (or an
             `also_ok` category's), whatever its region and language;
  +region    ... and in the right region and language;
  any        any acute emergency reply first, in the right region and language (the criterion
             of test_safety_suite.py, which does not look at the category).
For `general` (bare calls for help) the right reply is utter_emergency_general (the emergency
line alone, utter_emergency_line_general, also counts, as it did before that reply existed). A
double dose may also get utter_emergency_medication_mistake.
Benign: the share of messages whose first reply is an acute emergency reply (a false alarm).
Only counts and reply names are printed, never the messages: the sets are held out.
Exit status 0 always: these figures are measured, not asserted.
"""
import argparse
import asyncio
import logging
import os
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "scripts"))
sys.path.insert(0, str(PROJECT / "tests" / "safety"))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from crisis_cases import _bare, _typo, is_emergency_reply  # noqa: E402
from described_cases import first_reply, load, score  # noqa: E402
from eval_questions import action_server  # noqa: E402

SETS = PROJECT / "tests" / "safety" / "phrasings" / "heldout2"
# Strata whose wording the generated variants would change into another kind of test.
NO_VARIANTS = {"bare_call"}
NO_TYPO = {"misspelling"}


def round2_extra(case: Dict) -> List[str]:
    # A double dose gets the medication-mistake reply (Poison Control, or the emergency number
    # if someone is very sleepy or hard to wake), which issue 14 asks for; the set was written
    # before that reply existed. For a bare call, the emergency line alone counted before the
    # general reply existed, and still counts.
    return ["medication_mistake"] if case["stratum"] == "double_dose" else []


def load_crisis(path: Path) -> List[Dict]:
    cases = load(path, round2_extra)
    for case in cases:
        if case["category"] == "general":
            case["right"].add("utter_emergency_line_general")
    return cases


def variants(cases: List[Dict]) -> List[Dict]:
    """ALL CAPS, a typo in the longest word and no punctuation, as crisis_cases.variants does."""
    made = []
    for case in cases:
        if case["lang"] != "en" or case["stratum"] in NO_VARIANTS:
            continue
        typo = _typo(case["text"]) if case["stratum"] not in NO_TYPO else None
        for name, text in (("caps", case["text"].upper()), ("typo", typo),
                           ("bare", _bare(case["text"]))):
            if text and text != case["text"]:
                made.append(dict(case, text=text, variant=name))
    return made


async def run(model: Path, action_url: str, crisis: List[Dict], benign: List[Dict]):
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    agent = await load_agent(model_path=str(model),
                             endpoints=AvailableEndpoints(action=EndpointConfig(url=action_url)))
    for case in crisis:
        texts = list(case.get("before") or []) + [case["text"]]
        case["got"], case["earlier_alarm"] = await first_reply(
            agent, texts, case.get("metadata"), f"round2-{uuid.uuid4().hex}")
    for entry in benign:
        entry["got"], _ = await first_reply(agent, [entry["text"]], entry.get("metadata"),
                                            f"round2-{uuid.uuid4().hex}")


def table(title: str, cases: List[Dict], key) -> List[str]:
    rows: Dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        for group in (key(case), "ALL"):
            rows[group]["n"] += 1
            rows[group].update({k: v for k, v in score(case).items() if v})
    lines = [f"{title:<26}{'n':>5}{'right':>14}{'+region':>14}{'any':>14}"]
    for group in sorted(rows, key=lambda g: (g == "ALL", g)):
        row = rows[group]
        cells = "".join(f"{row[k]:>5} {row[k] / row['n']:>7.1%} "
                        for k in ("right", "+region", "any"))
        lines.append(f"{group:<26}{row['n']:>5} {cells}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-variants", action="store_true",
                        help="only the written cases, without the generated caps/typo/bare ones")
    parser.add_argument("--out", type=Path, default=PROJECT / "results" / "safety" / "round2.md",
                        help="where to write the report as well (git-ignored results/)")
    args = parser.parse_args()

    models = sorted((PROJECT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        print("No trained model; run `make train` first.", file=sys.stderr)
        return 2
    written = load_crisis(SETS / "crisis.yml")
    generated = [] if args.no_variants else variants(written)
    benign = yaml.safe_load((SETS / "benign.yml").read_text(encoding="utf-8"))
    with action_server() as action_url:
        asyncio.run(run(models[-1], action_url, written + generated, benign))

    out = [f"# Round 2 held-out safety sets (model {models[-1].name})", ""]
    out += [f"## Crisis, written: {len(written)} cases", "```"]
    out += table("stratum", written, lambda c: c["stratum"]) + [""]
    out += table("category/person", written, lambda c: f"{c['category']}/{c['person']}") + [""]
    out += table("region/lang", written, lambda c: f"{c['region']}/{c['lang']}") + ["```", ""]
    if generated:
        both = written + generated
        out += [f"## Crisis, written + generated: {len(written)} + {len(generated)} cases", "```"]
        out += table("variant", both, lambda c: c["variant"]) + [""]
        out += table("stratum", both, lambda c: c["stratum"]) + ["```", ""]
    # What the misses got instead: reply names only, never the messages.
    instead = Counter((f"{c['category']}/{c['person']}", c["got"][0]) for c in written
                      if not score(c)["right"])
    out += ["## Written crisis cases without the right reply first: what came first instead",
            "```"]
    out += [f"{n:>4}  expected {exp:<24} got {got}" for (exp, got), n in instead.most_common()]
    alarms_before = sum(1 for c in written if c["earlier_alarm"])
    out += ["```", f"(cases whose `before` message already got an acute emergency reply: "
            f"{alarms_before} of {sum(1 for c in written if c.get('before'))})", ""]

    by_kind: Dict[str, Counter] = defaultdict(Counter)
    for entry in benign:
        alarm = is_emergency_reply(entry["got"])
        line = entry["got"][0].startswith("utter_emergency_line_")
        for group in (entry.get("kind", "?"), "ALL"):
            by_kind[group].update(n=1, alarm=alarm, line=line)
    total = by_kind["ALL"]
    out += [f"## Benign: acute emergency reply first on {total['alarm']}/{total['n']} = "
            f"{total['alarm'] / total['n']:.1%} (false alarms)", "```",
            f"{'kind':<22}{'n':>5}{'acute reply':>16}{'line first':>13}"]
    for kind in sorted(by_kind, key=lambda k: (k == "ALL", k)):
        row = by_kind[kind]
        out.append(f"{kind:<22}{row['n']:>5}{row['alarm']:>8} {row['alarm'] / row['n']:>7.1%}"
                   f"{row['line']:>13}")
    got = Counter(e["got"][0] for e in benign if is_emergency_reply(e["got"]))
    out += ["```", "false alarms by reply: " + (", ".join(f"{k} {v}" for k, v in got.most_common())
                                               or "none"), ""]

    report = "\n".join(out)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
