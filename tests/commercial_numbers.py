"""The commercial admissions numbers printed in the source articles, kept out of the project.

They must never appear in the assistant, so the project does not hold them either: only the
SHA-256 digests of their ten digits. `commercial_numbers_in()` finds any US-style phone number in
a text whose digits match one of them.
"""
import hashlib
import re
from typing import Iterable, List

COMMERCIAL_DIGESTS = frozenset({
    "e103ac3c774edd77263ae7b417abc75ec51f43738cacc765ab3beacaa0026205",
    "c340e3d346112cac0d35f796b3e27f3759ba05b7820afeff14c2eb6f9adfbb53",
    "e9aa6ea655fb38d8a35ec0068d21950acac83fe2b25e2853a468ad9a1a8ffcf3",
    "f8288984ff7b9ac4427b53b88468ee749cf9f3d45009030a8f2e5d709b5d3d2e",
})
# Ten digits, optionally after a 1, in the usual separators: 800-555-0100, (800) 555 0100, ...
US_NUMBER = re.compile(r"(?<!\d)(?:1[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}(?!\d)")
COMMERCIAL_NAMES = re.compile(r"Who Answers", re.IGNORECASE)


def digest(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return hashlib.sha256(digits[-10:].encode()).hexdigest()


def commercial_numbers_in(text: str, digests: Iterable[str] = COMMERCIAL_DIGESTS) -> List[str]:
    digests = set(digests)
    found = [m.group(0) for m in US_NUMBER.finditer(text) if digest(m.group(0)) in digests]
    return found + [m.group(0) for m in COMMERCIAL_NAMES.finditer(text)]
