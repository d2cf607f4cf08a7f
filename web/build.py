"""Builds the website chat widget into build/web/ (run from the project root; `make widget`).

    .venv/bin/python web/build.py

Writes:
  build/web/waypoint-widget.js   socket.io-client (web/node_modules) + the emergency strip table
                                 + web/src/widget.js, in one file that defines no globals
  build/web/waypoint-widget.css  web/src/widget.css
  build/web/index.html           the demo page (every file in web/demo/)

The emergency strip's text for each region is generated here from data/safety/crisis_replies.yml,
the one place emergency numbers are written, so the widget never carries a number of its own.
Fails when web/node_modules is missing or out of date, when the table cannot be made, or when
the widget's JavaScript + CSS exceed BUDGET_BYTES gzipped.
"""
import gzip
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

PROJECT = Path(__file__).resolve().parents[1]
WEB = PROJECT / "web"
SOURCE = PROJECT / "data" / "safety" / "crisis_replies.yml"
OUT = PROJECT / "build" / "web"
SOCKET_IO = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
BUDGET_BYTES = 60 * 1024  # JS + CSS, gzipped
LANGUAGE = "en"  # the widget's own text is English; the assistant answers in English or Spanish

# What the region picker shows. Codes and numbers come from crisis_replies.yml; every region there
# needs a name here, or the build fails.
REGION_NAMES = {
    "US": "United States",
    "UK": "United Kingdom",
    "IE": "Ireland",
    "CA": "Canada",
    "AU": "Australia",
    "EU": "European Union",
    "OTHER": "Another country",
}
STRIP_PREFIX = "Emergency?"
SEPARATOR = " · "

# A phone number in the strip: digits, maybe grouped by single spaces or hyphens ("116 123",
# "9-8-8", "13 11 14"). Text-only lines ("text 85258") get an sms: link, the rest tel:.
NUMBER = re.compile(r"\d+(?:[ -]\d+)*")
TEXT_ONLY_BEFORE = re.compile(r"\btext\s+$", re.IGNORECASE)
CALL_OR_TEXT_BEFORE = re.compile(r"\bcall\s+or\s+text\s+$", re.IGNORECASE)
# Never in the widget's code: message text is rendered as text nodes only.
FORBIDDEN_IN_WIDGET = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")

Part = Tuple[str, Optional[str]]  # (text, link or None)


class BuildError(Exception):
    pass


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def linked(text: str) -> List[Part]:
    """The text in parts, each phone number a tel: (or, for text-only lines, sms:) link."""
    parts: List[Part] = []
    position = 0
    for match in NUMBER.finditer(text):
        before = text[:match.start()]
        scheme = "sms" if (TEXT_ONLY_BEFORE.search(before)
                           and not CALL_OR_TEXT_BEFORE.search(before)) else "tel"
        if match.start() > position:
            parts.append((text[position:match.start()], None))
        parts.append((match.group(), f"{scheme}:{re.sub(r'[^0-9]', '', match.group())}"))
        position = match.end()
    if position < len(text):
        parts.append((text[position:], None))
    return parts


def strip_text(values: Dict[str, str]) -> str:
    """`Emergency? Call 911 · Call or text 988`: the emergency call, then the crisis line; when
    the crisis line already starts with the emergency call ("call 112 if you are in danger, or
    ..."), it is the whole strip."""
    call = re.sub(r"\s+now$", "", values["call"].strip())
    crisis = values["crisis_short"].strip()
    if crisis.lower().startswith(values["call_lc"].strip().lower()):
        return f"{STRIP_PREFIX} {capitalized(crisis)}"
    return f"{STRIP_PREFIX} {call}{SEPARATOR}{capitalized(crisis)}"


def region_table(source: Path = SOURCE) -> Dict[str, Dict]:
    """{region: {name, strip: [[text, link], ...], call: [[text, link], ...]}} from the crisis
    replies' region values, in their order (US first)."""
    try:
        regions = yaml.safe_load(source.read_text(encoding="utf-8"))["regions"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise BuildError(f"cannot read the regions of {source}: {error}") from error
    table = {}
    for code, languages in regions.items():
        if code not in REGION_NAMES:
            raise BuildError(f"region {code} of {source} has no name in web/build.py REGION_NAMES")
        values = (languages or {}).get(LANGUAGE) or {}
        missing = [key for key in ("call", "call_lc", "crisis_short") if not values.get(key)]
        if missing:
            raise BuildError(f"{source}: regions.{code}.{LANGUAGE} has no {', '.join(missing)}")
        values = {key: str(value) for key, value in values.items()}
        strip = strip_text(values)
        table[code] = {
            "name": REGION_NAMES[code],
            # The lead ("Emergency?") first, then the rest with its numbers linked.
            "strip": [[STRIP_PREFIX, None]]
                     + [list(part) for part in linked(strip[len(STRIP_PREFIX):])],
            # For the widget's own notices: "If someone is in danger, call 911 now."
            "call": [list(part) for part in linked(values["call_lc"].strip())],
        }
    if "US" not in table:
        raise BuildError(f"{source} has no US region, the widget's default")
    return table


def socket_io_source() -> str:
    if not SOCKET_IO.is_file():
        raise BuildError("web/node_modules is missing: run `npm ci --prefix web` "
                         "(or `make widget`, which does it) first.")
    wanted = json.loads((WEB / "package.json").read_text())["dependencies"]["socket.io-client"]
    installed = json.loads((SOCKET_IO.parents[1] / "package.json").read_text())["version"]
    if installed != wanted:
        raise BuildError(f"web/node_modules has socket.io-client {installed}, package.json pins "
                         f"{wanted}: run `npm ci --prefix web` (or `make widget`).")
    text = SOCKET_IO.read_text(encoding="utf-8")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


def widget_source() -> str:
    text = (WEB / "src" / "widget.js").read_text(encoding="utf-8")
    found = [name for name in FORBIDDEN_IN_WIDGET if name in text]
    if found:
        raise BuildError(f"web/src/widget.js uses {', '.join(found)}: render text with text "
                         "nodes (textContent, createTextNode) only.")
    return text


def bundle(table: Dict[str, Dict]) -> str:
    """One script that defines no globals: socket.io-client's UMD build sees a CommonJS `module`
    (so it neither sets window.io nor calls a page's AMD `define`), then the widget runs with it."""
    return "\n".join([
        "/*! Waypoint chat widget. Built by web/build.py from web/src/widget.js and"
        " data/safety/crisis_replies.yml; includes socket.io-client (MIT, below). */",
        "(function () {",
        "var module = { exports: {} }, exports = module.exports, define;",
        socket_io_source(),
        ";",
        "var WAYPOINT_IO = module.exports;",
        "var WAYPOINT_REGIONS = " + json.dumps(table, ensure_ascii=False, separators=(",", ":")) + ";",
        widget_source(),
        "})();",
        "",
    ])


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def build() -> int:
    table = region_table()
    script = bundle(table).encode("utf-8")
    style = (WEB / "src" / "widget.css").read_bytes()
    demo = sorted(WEB.joinpath("demo").glob("*"))
    demo = [path for path in demo if path.is_file()]
    if not any(path.name == "index.html" for path in demo):
        raise BuildError("web/demo/index.html is missing")

    total = gzipped_size(script) + gzipped_size(style)
    print(f"waypoint-widget.js  {len(script) / 1024:6.1f} KB, gzipped {gzipped_size(script) / 1024:5.1f} KB")
    print(f"waypoint-widget.css {len(style) / 1024:6.1f} KB, gzipped {gzipped_size(style) / 1024:5.1f} KB")
    print(f"JS + CSS gzipped    {total / 1024:.1f} KB (budget {BUDGET_BYTES / 1024:.0f} KB)")
    if total > BUDGET_BYTES:
        raise BuildError(f"the widget is {total / 1024:.1f} KB gzipped, over the "
                         f"{BUDGET_BYTES / 1024:.0f} KB budget")

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "waypoint-widget.js").write_bytes(script)
    (OUT / "waypoint-widget.css").write_bytes(style)
    # index.html last: Make's target, so an interrupted build is redone.
    for path in sorted(demo, key=lambda p: p.name == "index.html"):
        shutil.copyfile(path, OUT / path.name)
    print(f"Built {OUT.relative_to(PROJECT)}/: {', '.join(sorted(p.name for p in OUT.iterdir()))}")
    for code, row in table.items():
        print(f"  {code:5} {''.join(text for text, _ in row['strip'])}")
    return 0


def main() -> int:
    try:
        return build()
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
