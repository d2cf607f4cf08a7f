"""The commercial admissions numbers printed in the source articles, kept out of the project.

They must never appear in the assistant, so the project does not hold them either: only the
SHA-256 digests of their ten digits, and of the line's name (lower case, words joined by one
space). `commercial_numbers_in()` finds any US-style phone number in a text whose digits match,
and any run of up to three words that is the name.
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
COMMERCIAL_NAME_DIGESTS = frozenset({
    "93028a7a3c2f677f03fe1ca7a1146faa1da39c30ce33ea256562eea5caf11fd1",
})
WORD = re.compile(r"[a-z0-9']+")


def digest(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return hashlib.sha256(digits[-10:].encode()).hexdigest()


def name_digest(name: str) -> str:
    return hashlib.sha256(" ".join(WORD.findall(name.lower())).encode()).hexdigest()


def commercial_numbers_in(text: str, digests: Iterable[str] = COMMERCIAL_DIGESTS,
                          name_digests: Iterable[str] = COMMERCIAL_NAME_DIGESTS) -> List[str]:
    digests, name_digests = set(digests), set(name_digests)
    found = [m.group(0) for m in US_NUMBER.finditer(text) if digest(m.group(0)) in digests]
    words = WORD.findall(text.lower())
    names = {" ".join(words[i:i + n]) for n in (1, 2, 3) for i in range(len(words) - n + 1)}
    return found + sorted(name for name in names if name_digest(name) in name_digests)
