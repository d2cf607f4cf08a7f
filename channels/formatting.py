"""Replies shaped for messaging apps, and a user's typed reply read back as a button press.

Platforms cap a message's length and the number of buttons; Rasa's connectors drop what does not
fit. Here long texts are split at paragraph, line or sentence boundaries (never mid-word unless a
single word is longer than the limit), and buttons a platform cannot show become numbered
choices that the user answers by number or by the option's words. Pure functions, no Rasa.
"""
import re
from typing import Dict, List, Optional, Sequence, Tuple

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CHOICE_NUMBER = re.compile(r"^\s*(?:option\s*|#)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


# Boundaries from coarsest to finest, with the text that re-joins the units cut at each.
BOUNDARIES = ((re.compile(r"\n\s*\n"), "\n\n"), (re.compile(r"\n"), "\n"),
              (SENTENCE_END, " "), (re.compile(r"\s+"), " "))


def _pieces(text: str, limit: int, joiner: str = "") -> List[Tuple[str, str]]:
    """Cuts text into (joiner, unit) pairs, units no longer than limit, coarsest boundary first;
    the joiner is what stood before the unit."""
    if len(text) <= limit:
        return [(joiner, text)]
    for separator, rejoin in BOUNDARIES:
        parts = [p.strip() for p in separator.split(text) if p.strip()]
        if len(parts) > 1:
            pieces = []
            for i, part in enumerate(parts):
                pieces += _pieces(part, limit, joiner if i == 0 else rejoin)
            return pieces
    return [(joiner if i == 0 else "", text[i:i + limit]) for i in range(0, len(text), limit)]


def split_text(text: str, limit: int) -> List[str]:
    """Splits text into messages of at most `limit` characters, packing whole sentences."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    chunks: List[str] = []
    current = ""
    for joiner, unit in _pieces(text, limit):
        candidate = f"{current}{joiner}{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = unit
    if current:
        chunks.append(current)
    return chunks


def numbered_choices(buttons: Sequence[Dict], intro: str = "Reply with a number:") -> str:
    """The buttons as text: "Reply with a number:\\n1. First\\n2. Second"."""
    lines = [f"{i}. {button.get('title', '')}" for i, button in enumerate(buttons, start=1)]
    return "\n".join([intro, *lines])


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def choice_payload(reply: str, buttons: Sequence[Dict]) -> Optional[str]:
    """The payload of the button a typed reply picks ("2", "2.", "option 2", or the option's
    words), or None when it picks none, so the text goes to the assistant as typed."""
    if not buttons or not reply:
        return None
    number = CHOICE_NUMBER.match(reply)
    if number:
        index = int(number.group(1)) - 1
        return buttons[index].get("payload") if 0 <= index < len(buttons) else None
    said = _words(reply)
    if not said:
        return None
    matches = [b for b in buttons if _words(str(b.get("title", ""))) == said]
    return matches[0].get("payload") if len(matches) == 1 else None
