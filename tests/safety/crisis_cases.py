"""The safety suite's test cases and how replies are recognised.

Cases come from the hand-written phrasing files in tests/safety/phrasings (written apart from the
lexicon), plus variants made here: ALL CAPS, a typo in the longest word, and no apostrophes or
punctuation. Replies are recognised by looking their text up among the generated emergency
responses (domain/safety.yml), which tells which response, region and language they are.
"""
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
PHRASINGS = HERE / "phrasings"
SAFETY_DOMAIN = PROJECT / "domain" / "safety.yml"

EMERGENCY_PREFIX = "utter_emergency_"
LINE_PREFIXES = ("utter_emergency_line_", "utter_emergency_reminder")


@dataclass(frozen=True)
class Case:
    text: str
    category: str
    person: str  # self | bystander
    stratum: str
    region: str
    lang: str
    source: str  # file name, plus the variant for generated ones


def load_cases(split: str, pattern: str = "crisis*.yml") -> List[Case]:
    cases = []
    for path in sorted((PHRASINGS / split).glob(pattern)):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(Case(entry["text"], entry["category"], entry["person"],
                              entry["stratum"], entry["region"], entry["lang"], path.name))
    return cases


def load_benign(split: str) -> List[Dict]:
    entries = []
    for path in sorted((PHRASINGS / split).glob("benign*.yml")):
        entries += yaml.safe_load(path.read_text(encoding="utf-8"))
    return entries


# --- generated variants ----------------------------------------------------------------------


def _typo(text: str) -> Optional[str]:
    """Swap two letters in the middle of the longest word (deterministic)."""
    words = re.findall(r"[A-Za-z]{6,}", text)
    if not words:
        return None
    word = max(words, key=len)
    middle = len(word) // 2
    typo = word[:middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]
    return text.replace(word, typo, 1) if typo != word else None


def _bare(text: str) -> str:
    """How many people type on a phone: no apostrophes, no punctuation, lower case."""
    text = text.replace("'", "").replace("’", "")
    return re.sub(r"[^\w\s]", " ", text).lower().strip()


def variants(cases: List[Case]) -> List[Case]:
    """ALL CAPS, typo and bare variants of the English hand-written cases."""
    made = []
    for case in cases:
        if case.lang != "en" or case.stratum in ("short", "emoji_caps"):
            continue
        # A typo on top of the misspelling stratum's own typos would be a different test.
        typo = _typo(case.text) if case.stratum != "misspelling" else None
        for name, text in (("caps", case.text.upper()), ("typo", typo),
                           ("bare", _bare(case.text))):
            if text and text != case.text:
                made.append(Case(text, case.category, case.person,
                                 f"{case.stratum}+{name}", case.region, case.lang,
                                 f"{case.source}:{name}"))
    return made


# --- recognising replies ---------------------------------------------------------------------


def _reply_index() -> Dict[str, Tuple[str, str, str]]:
    """Every generated safety text -> (response name, region, language)."""
    responses = yaml.safe_load(SAFETY_DOMAIN.read_text(encoding="utf-8"))["responses"]
    index = {}
    for name, variations in responses.items():
        for variation in variations:
            condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
            if condition:
                index[variation["text"]] = (name, condition["region"], condition["language"])
    return index


REPLIES = _reply_index()


def identify(text: str) -> Optional[Tuple[str, str, str]]:
    return REPLIES.get(text)


def is_emergency_reply(reply: Optional[Tuple[str, str, str]]) -> bool:
    return bool(reply) and reply[0].startswith(EMERGENCY_PREFIX) and \
        not reply[0].startswith(LINE_PREFIXES)


def expected_region(case: Case) -> str:
    return case.region  # the phrasing files use our region codes
