"""Limits every channel applies to what people send."""
import re

# The crisis detector reads a message whole, so a long message is refused (REST) or, where a
# channel cannot answer with an error, cut only far beyond anything a person types.
MAX_MESSAGE_CHARS = 100_000
# C0 and C1 control characters other than tab and newline, and Unicode's non-characters.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """The text with control characters turned into spaces."""
    return CONTROL.sub(" ", text)
