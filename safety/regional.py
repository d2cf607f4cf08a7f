"""Gives every region its own numbers in the responses outside the safety layer.

The greeting, the deletion confirmation and many answers name an emergency number, a crisis line
or a US-only service (the SAMHSA National Helpline, Poison Control, Never Use Alone,
FindTreatment.gov). Each of those variations is written once, with {placeholders}, in
data/safety/regional_responses.yml, and filled in from the region tables of
data/safety/crisis_replies.yml, the same tables as the emergency replies (safety/replies.py).

The result goes into the domain file where the response lives, between two marker lines:

    # BEGIN generated: utter_overdose_signs (...)
    ...one variation per region, chosen by the `region` slot...
    # END generated

so an answer stays in its topic's file. Everything outside the markers is written by hand and is
left as it is. The results are plain responses: they need no action server.

    python -m safety.regional            # rewrite the generated blocks in domain/
    python -m safety.regional --check    # exit 1 if a block is out of date
"""
import argparse
import re
import string
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from safety.lexicon import REGIONS
from safety.replies import SOURCE as TABLES

SOURCE = Path("data/safety/regional_responses.yml")
DOMAIN = Path("domain")
DEFAULT_REGION = "US"  # the variation without a region condition, as before regions existed
LANGUAGE = "en"  # these responses are in English only
BEGIN = re.compile(r"^(?P<indent>[ ]*)# BEGIN generated: (?P<key>\S+(?: \S+=\S+)*)(?: \(.*\))?$")
END = re.compile(r"^[ ]*# END generated$")
BEGIN_LINE = "{indent}# BEGIN generated: {key} (from {source}, `make`; do not edit)"
END_LINE = "{indent}# END generated"


class RegionalError(ValueError):
    pass


# --- filling in the texts ---------------------------------------------------------------------


def _value(name: str, values: Dict[str, str], where: str) -> str:
    if name in values:
        return str(values[name] or "")
    # {Call_lc}: the value of {call_lc} with a capital first letter, to start a sentence.
    lower = name[:1].lower() + name[1:]
    if name[:1].isupper() and lower in values:
        text = str(values[lower] or "")
        return text[:1].upper() + text[1:]
    raise RegionalError(f"{where}: no value for {{{name}}}")


def fill(template: str, values: Dict[str, str], where: str) -> str:
    """The template with its placeholders filled in; runs of spaces left by an empty value are
    closed up, and a line left empty is dropped."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    text = template.strip().format(**{name: _value(name, values, where) for name in names})
    lines = (re.sub(r"[ \t]{2,}", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def snippets(spec: Dict, region: str, where: str) -> Dict[str, str]:
    """The spec's wording for this region: `US`, or `other` overridden by the region's own."""
    by_region = spec.get("by_region") or {}
    unknown = set(by_region) - set(REGIONS) - {"other"}
    if unknown:
        raise RegionalError(f"{where}: by_region has unknown keys {sorted(unknown)}")
    chosen = {} if region == DEFAULT_REGION else dict(by_region.get("other") or {})
    chosen.update(by_region.get(region) or {})
    return chosen


def text_for(spec: Dict, table: Dict[str, str], region: str, where: str) -> str:
    values = dict(table)
    for name, template in snippets(spec, region, where).items():
        values[name] = fill(template, table, f"{where}, {name}")
    text = fill(spec["text"], values, where)
    if "{" in text or "}" in text:  # Rasa would fill braces from slots
        raise RegionalError(f"{where}: braces left in {text!r}")
    return text


# --- variations -------------------------------------------------------------------------------


def block_key(name: str, condition: Dict) -> str:
    return " ".join([name] + [f"{slot}={value}" for slot, value in condition.items()])


def _slot(name: str, value) -> Dict:
    return {"type": "slot", "name": name, "value": value}


def variations(name: str, spec: Dict, tables: Dict) -> List[Dict]:
    """The variations for one spec: without another condition, the US text as the default and
    one variation per other region; with one (e.g. a subject), one variation per region, so
    exactly one of them fits any slot values."""
    condition = spec.get("condition") or {}
    if "region" in condition or "language" in condition:
        raise RegionalError(f"{name}: the region condition is added here, not in the source")
    regions = spec.get("regions") or list(REGIONS)
    if not set(regions) <= set(REGIONS) or DEFAULT_REGION not in regions:
        raise RegionalError(f"{name}: regions must be among {REGIONS} and include US")
    if not condition and regions != list(REGIONS):
        # Without a condition the default would answer the regions left out, with US numbers.
        raise RegionalError(f"{name}: only a variation with a condition can leave regions out")
    made = []
    for region in REGIONS:
        if region not in regions:
            continue
        where = f"{block_key(name, condition)} ({region})"
        variation: Dict = {}
        conditions = [_slot(slot, value) for slot, value in condition.items()]
        if condition or region != DEFAULT_REGION:
            variation["condition"] = conditions + [_slot("region", region)]
        variation["text"] = text_for(spec, tables[region][LANGUAGE], region, where)
        if spec.get("buttons"):
            variation["buttons"] = spec["buttons"]
        made.append(variation)
    return made


class _Dumper(yaml.SafeDumper):
    """Writes variations the way the hand-written domain files do: lists indented under their
    key, multi-line texts as `|-` blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):  # each variation writes its buttons out in full
        return True


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)
ALIAS = re.compile(r"^\*\w+$")


def to_yaml(variations_: List[Dict], indent: str) -> List[str]:
    """The variations as lines at the block's indentation. `buttons: "*name"` in the source stays
    a YAML alias of buttons written by hand earlier in the file."""
    aliases = {}
    for number, variation in enumerate(variations_):
        if isinstance(variation.get("buttons"), str):
            if not ALIAS.match(variation["buttons"]):
                raise RegionalError(f"buttons must be a list or an alias (*name): "
                                    f"{variation['buttons']!r}")
            aliases[f"__alias_{number}__"] = variation["buttons"]
            variation = dict(variation, buttons=f"__alias_{number}__")
            variations_[number] = variation
    text = yaml.dump(variations_, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100000)
    for placeholder, alias in aliases.items():
        text = text.replace(placeholder, alias)
    return [indent + line if line else line for line in text.splitlines()]


# --- the domain files -------------------------------------------------------------------------


def load_specs(source_path: Path = SOURCE, tables_path: Path = TABLES) -> Dict[str, List[Dict]]:
    """Block key -> the variations it holds."""
    tables = yaml.safe_load(tables_path.read_text(encoding="utf-8"))["regions"]
    if set(tables) != set(REGIONS):
        raise RegionalError(f"{tables_path}: regions must be exactly {REGIONS}")
    source = yaml.safe_load(source_path.read_text(encoding="utf-8"))
    blocks: Dict[str, List[Dict]] = {}
    for name, specs in (source.get("replies") or {}).items():
        for spec in specs:
            key = block_key(name, spec.get("condition") or {})
            if key in blocks:
                raise RegionalError(f"{source_path}: {key} is written twice")
            blocks[key] = variations(name, spec, tables)
    return blocks


def rewrite(text: str, blocks: Dict[str, List[Dict]], path: Path,
            seen: Dict[str, Path]) -> str:
    """The file with each of its generated blocks written afresh."""
    out: List[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        begin = BEGIN.match(line)
        index += 1
        if not begin:
            if END.match(line):
                raise RegionalError(f"{path}:{index}: END without BEGIN")
            out.append(line)
            continue
        key, indent = begin.group("key"), begin.group("indent")
        if key not in blocks:
            raise RegionalError(f"{path}:{index}: no entry for {key} in {SOURCE}")
        if key in seen:
            raise RegionalError(f"{path}:{index}: {key} is also generated in {seen[key]}")
        seen[key] = path
        while index < len(lines) and not END.match(lines[index]):
            if BEGIN.match(lines[index]):
                raise RegionalError(f"{path}:{index + 1}: BEGIN inside the block of {key}")
            index += 1
        if index == len(lines):
            raise RegionalError(f"{path}: the block of {key} has no END line")
        index += 1
        out.append(BEGIN_LINE.format(indent=indent, key=key, source=SOURCE))
        out.extend(to_yaml([dict(v) for v in blocks[key]], indent))
        out.append(END_LINE.format(indent=indent))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def build(domain: Path = DOMAIN, source_path: Path = SOURCE,
          tables_path: Path = TABLES) -> Dict[Path, Tuple[str, str]]:
    """Every domain file with generated blocks -> (its text now, its text regenerated)."""
    blocks = load_specs(source_path, tables_path)
    seen: Dict[str, Path] = {}
    results = {}
    for path in sorted(domain.rglob("*.yml")):
        text = path.read_text(encoding="utf-8")
        if "# BEGIN generated:" in text:
            results[path] = (text, rewrite(text, blocks, path, seen))
    missing = sorted(set(blocks) - set(seen))
    if missing:
        raise RegionalError(
            f"no block in {domain}/ for {', '.join(missing)}: add the lines "
            f"'# BEGIN generated: <key>' and '# END generated' where its variations go")
    return results


def stale(results: Dict[Path, Tuple[str, str]]) -> List[Path]:
    return [path for path, (now, fresh) in results.items() if now != fresh]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a block is stale")
    args = parser.parse_args(argv)
    results = build()
    outdated = stale(results)
    if args.check:
        for path in outdated:
            print(f"{path} is out of date: run `python -m safety.regional`.", file=sys.stderr)
        return 1 if outdated else 0
    for path in outdated:
        path.write_text(results[path][1], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
