"""Content rules the framework cannot check: every answer names its source, stays short, uses
person-first language, gives no doses; only vetted phone numbers; nothing from the commercial
admissions lines in the source articles."""
import re
from pathlib import Path

import pytest
import yaml

from commercial_numbers import commercial_numbers_in, digest, name_digest
from conftest import PROJECT

DOMAIN_FILES = sorted((PROJECT / "domain").rglob("*.yml"))
ANSWER_FILES = sorted((PROJECT / "domain" / "answers").glob("*.yml"))


def responses_in(paths):
    found = {}
    for path in paths:
        for name, variations in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            found.setdefault(name, []).extend((path.name, v) for v in variations)
    return found


RESPONSES = responses_in(DOMAIN_FILES)
ANSWERS = responses_in(ANSWER_FILES)
# The emergency numbers and crisis lines of each region (the emergency replies' tables).
REGION_TABLES = yaml.safe_load(
    (PROJECT / "data" / "safety" / "crisis_replies.yml").read_text(encoding="utf-8"))["regions"]

# The citable authorities of the source articles' reference lists.
AUTHORITIES = ("NIDA", "SAMHSA", "ASAM", "American Society of Addiction Medicine", "DSM-5",
               "American Psychiatric Association", "APA", "FDA", "NIH",
               "National Institutes of Health", "HHS", "Department of Health and Human Services",
               "Center for Substance Abuse Treatment", "National Institute of Justice",
               "Current Psychiatry", "Psychiatric Services", "Journal", "Lancet", "Addiction",
               "et al.", "Dimeff", "Linehan", "Bell", "Schuckit", "Fox", "Grogan")
SOURCE = re.compile(r"^Source: .+")
MAX_ANSWER_CHARS = 800

# Public, non-commercial numbers from ../shared/safety/helplines.md.
VETTED_NUMBERS = {"911", "988", "9-8-8", "741741", "1-800-662-4357", "1-800-487-4889",
                  "1-800-222-1222", "1-800-484-3731", "999", "112", "000", "116 123", "85258",
                  "50808", "13 11 14", "111"}
# Rows marked "verify" in helplines.md: never sent until someone has checked them again.
UNVERIFIED_NUMBERS = ["0300 123 6600", "1800 459 459", "1-888-688-6677", "13 11 26",
                      "1800 250 015"]
PHONE = re.compile(r"\b(?:1-)?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b"
                   r"|\b(?:call|text|dial|on|at)(?: or text)?(?: \w+ to)? "
                   r"(\d[\d -]*\d|\d)(?=[\s.,;:)]|$)", re.IGNORECASE)
NOT_PERSON_FIRST = re.compile(r"\b(addicts?|abusers?|junkies?|dope ?fiends?|users? of drugs)\b|"
                              r"\b(clean|dirty) (urine|tests?|drug tests?)\b|"
                              r"\b(get|gets|getting|got|stay|stays|stayed|staying) clean\b", re.IGNORECASE)
DOSE = re.compile(r"\b\d+(\.\d+)?\s?(mg|milligrams?|mcg|micrograms?|ml|cc)\b", re.IGNORECASE)


def texts(responses):
    for name, variations in responses.items():
        for path, variation in variations:
            yield name, path, variation


def region_of(variation) -> str:
    """The region a variation is for (the `region` slot in its condition); US by default."""
    return next((c["value"] for c in variation.get("condition") or [] if c["name"] == "region"),
                "US")


def is_clarifying(variation) -> bool:
    """A question or an offer back to the user ("Which one do you mean?", "Here is what I can
    tell you:"), with buttons: it states no fact, so it needs no source."""
    return variation.get("text", "").rstrip().endswith(("?", ":")) and bool(variation.get("buttons"))


def phone_numbers(text):
    return [m.group(1) or m.group(0) for m in PHONE.finditer(text)]


def test_there_are_answers():
    assert len(ANSWERS) >= 40


@pytest.mark.parametrize("name, path, variation", list(texts(ANSWERS)),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_answer_names_an_authority(name, path, variation):
    text = variation.get("text", "")
    if name.startswith("utter_request_"):
        # Refusals state no fact to source; they must route to help instead.
        region = region_of(variation)
        if region == "US":
            assert "1-800-662-4357" in text or "FindTreatment.gov" in text, f"{path}: {name}"
        else:
            # Those two are US services: elsewhere, the region's own crisis line.
            crisis_line = REGION_TABLES[region]["en"]["crisis_short"]
            assert crisis_line in text, f"{path}: {name} ({region}) lacks {crisis_line!r}"
        return
    if is_clarifying(variation):
        return
    last = text.strip().splitlines()[-1]
    assert SOURCE.match(last), f"{path}: {name} does not end with a 'Source:' line"
    assert any(authority in last for authority in AUTHORITIES), f"{path}: {name}: {last}"


@pytest.mark.parametrize("name, path, variation", list(texts(ANSWERS)),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_answers_fit_a_phone_screen_and_the_language_rules(name, path, variation):
    text = variation.get("text", "")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("Source: "))
    assert len(body) <= MAX_ANSWER_CHARS, f"{path}: {name} is {len(body)} characters"
    assert not NOT_PERSON_FIRST.search(text), f"{path}: {name}: {NOT_PERSON_FIRST.search(text)}"
    assert not DOSE.search(text), f"{path}: {name} gives a dose: {DOSE.search(text)}"
    placeholders = set(re.findall(r"{(\w+)}", text)) - {"subject"}
    assert not placeholders, f"{path}: {name} has placeholders {placeholders}"


def shipped_files():
    for folder in ("domain", "data", "actions", "safety", "docs"):
        yield from (p for p in (PROJECT / folder).rglob("*")
                    if p.is_file() and p.suffix in {".yml", ".py", ".csv", ".md"})
    yield PROJECT / "README.md"


def test_no_commercial_admissions_line_anywhere():
    offenders = [str(p) for p in shipped_files() if commercial_numbers_in(p.read_text())]
    assert not offenders


def test_every_phone_number_in_a_response_is_vetted():
    for name, path, variation in texts(RESPONSES):
        text = variation.get("text", "")
        unvetted = set(phone_numbers(text)) - VETTED_NUMBERS
        assert not unvetted, f"{path}: {name}: unvetted numbers {unvetted}"
        for number in UNVERIFIED_NUMBERS:
            assert number not in text, f"{path}: {name} uses {number}, marked 'verify'"


def test_the_checks_catch_what_they_look_for():
    # Guards the checks above against silently matching nothing.
    fictional = digest("555-010-0199")
    assert commercial_numbers_in("call 1 (555) 010-0199 now", [fictional]) == ["1 (555) 010-0199"]
    fictional_name = name_digest("Acme Admissions")
    assert commercial_numbers_in("call the ACME  admissions line", name_digests=[fictional_name])
    assert not commercial_numbers_in("call the Acme line", name_digests=[fictional_name])
    assert phone_numbers("call 1-555-010-0199 today") == ["1-555-010-0199"]
    assert phone_numbers("call or text 988, or text HOME to 741741") == ["988", "741741"]
    assert phone_numbers("call Samaritans on 116 123 now") == ["116 123"]
    assert NOT_PERSON_FIRST.search("treatment helps addicts")
    assert NOT_PERSON_FIRST.search("she has stayed clean")
    assert DOSE.search("take 30 mg a day")
