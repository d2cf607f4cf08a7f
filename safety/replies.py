"""Builds domain/safety.yml from data/safety/crisis_replies.yml.

Every reply is written once per language with {placeholders}; this fills them in for each region
and emits one Rasa response variation per (region, language), chosen by the `region` and
`language` slots. The result is plain domain responses, so emergency help never depends on the
action server.

    python -m safety.replies            # write domain/safety.yml
    python -m safety.replies --check    # exit 1 if domain/safety.yml is out of date
"""
import argparse
import re
import string
import sys
from pathlib import Path
from typing import Dict, List

import yaml

from safety.lexicon import LANGUAGES, REGIONS

SOURCE = Path("data/safety/crisis_replies.yml")
TARGET = Path("domain/safety.yml")
DEFAULT = ("US", "en")  # the variation used when no condition matches
HEADER = """\
# GENERATED from data/safety/crisis_replies.yml by `python -m safety.replies`; do not edit.
# Emergency responses: one variation per region and language, picked by the slots of those names.
version: "3.1"

"""


class ReplyError(ValueError):
    pass


def fill(template: str, values: Dict[str, str], where: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = names - set(values)
    if missing:
        raise ReplyError(f"{where}: no value for {sorted(missing)}")
    lines = []
    for line in template.strip().splitlines():
        text = line.format(**{k: str(v or "") for k, v in values.items()})
        text = re.sub(r"\s{2,}", " ", text).strip()
        if text:  # a line left empty by its placeholders is dropped
            lines.append(text)
    return "\n".join(lines)


def render(source: Dict) -> Dict[str, List[Dict]]:
    regions, replies = source["regions"], source["replies"]
    if set(regions) != set(REGIONS):
        raise ReplyError(f"regions must be exactly {REGIONS}")
    responses: Dict[str, List[Dict]] = {}
    for name, by_language in replies.items():
        if set(by_language) != set(LANGUAGES):
            raise ReplyError(f"{name}: needs a text for each of {LANGUAGES}")
        variations = [{"text": fill(by_language[DEFAULT[1]], regions[DEFAULT[0]][DEFAULT[1]],
                                    f"{name} (default)")}]
        for region in REGIONS:
            for language in LANGUAGES:
                variations.append({
                    "condition": [{"type": "slot", "name": "region", "value": region},
                                  {"type": "slot", "name": "language", "value": language}],
                    "text": fill(by_language[language], regions[region][language],
                                 f"{name} ({region}, {language})"),
                })
        responses[name] = variations
    return responses


class _Dumper(yaml.SafeDumper):
    """Writes multi-line texts as readable `|-` blocks."""


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def build(source_path: Path = SOURCE) -> str:
    source = yaml.safe_load(source_path.read_text(encoding="utf-8"))
    body = yaml.dump({"responses": render(source)}, Dumper=_Dumper, allow_unicode=True,
                     sort_keys=False, width=100000)
    return HEADER + body


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the target is stale")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run `python -m safety.replies`.", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
