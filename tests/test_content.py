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

# The one list of sources answers may cite, each under its authority's canonical name.
SOURCES_FILE = yaml.safe_load((PROJECT / "data" / "sources.yml").read_text(encoding="utf-8"))
SOURCES = SOURCES_FILE["sources"]
AUTHORITIES = SOURCES_FILE["authorities"]  # canonical name -> its other names
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
    assert citations(last), f"{path}: {name}: {last}"


def citations(line: str):
    """The sources a "Source: a; b." line cites."""
    return [c.strip() for c in line[len("Source: "):].rstrip(".").split(";") if c.strip()]


def source_lines():
    for name, path, variation in texts(RESPONSES):
        for line in variation.get("text", "").splitlines():
            if line.startswith("Source: "):
                yield name, path, line


def test_every_source_line_cites_the_list_of_sources():
    """Every Source line in the domain (answers, flows, generated variations) cites sources from
    data/sources.yml exactly as written there: one spelling of each source and authority."""
    unknown = {(path, c) for name, path, line in source_lines() for c in citations(line)
               if c not in SOURCES}
    assert not unknown, f"sources not in data/sources.yml: {sorted(unknown)}"


def test_each_authority_has_one_name():
    """Each listed source starts with its authority's canonical name, and no Source line names an
    authority by another name ("National Institutes of Health" for NIH)."""
    for source in SOURCES:
        assert any(source.startswith(f"{authority}, ") for authority in AUTHORITIES), source
    assert len(set(SOURCES)) == len(SOURCES)
    alias = other_names_pattern()
    offenders = [(path, name, line) for name, path, line in source_lines() if alias.search(line)]
    assert not offenders, offenders


def other_names_pattern():
    names = [name for others in AUTHORITIES.values() for name in others or []]
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


def test_every_listed_source_is_cited():
    """The list holds only sources in use, so it stays the one place to review them."""
    cited = {c for _, _, line in source_lines() for c in citations(line)}
    assert not set(SOURCES) - cited, sorted(set(SOURCES) - cited)


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


# Claims a review of the answers against the authorities corrected (issue 14); none may return.
CORRECTED = {
    "the most effective": "NIDA calls all three medications effective",
    "less severe dependence": "ASAM (2020): buprenorphine and methadone are both first-line",
    "more severe dependence": "ASAM (2020): buprenorphine and methadone are both first-line",
    "first medication the FDA approved": "lofexidine is the first non-opioid one",
    "first medication for opioid withdrawal": "lofexidine is the first non-opioid one",
    "wheat bran": "commercial advice that can worsen diarrhea",
    "care sequence ASAM describes": "the ASAM Criteria are a placement framework",
    "for anyone to use in 2015": "prescription from 2015, over the counter from 2023",
    "6 to 12 months in longer programs": "6 to 12 months is long-term residential",
    "and then call": "call the emergency number first, then give naloxone",
}


@pytest.mark.parametrize("phrase, why", CORRECTED.items())
def test_corrected_claims_stay_corrected(phrase, why):
    found = [f"{path}: {name}" for name, path, v in texts(RESPONSES)
             if phrase.lower() in v.get("text", "").lower()]
    assert not found, f"{phrase!r} ({why}) in {found}"


CALL = re.compile(r"\bcall (911|999|112|000|112 or 999|your local emergency number)\b",
                  re.IGNORECASE)
GIVE = re.compile(r"\b(give|spray) (it|naloxone|the nasal spray)\b|\bgive naloxone\b",
                  re.IGNORECASE)


def test_overdose_steps_put_the_call_first():
    """As in the emergency reply (domain/safety.yml): call the emergency number, then give
    naloxone, wherever one sentence names both."""
    wrong = []
    for name, path, variation in texts(RESPONSES):
        for sentence in re.split(r"(?<=[.;:])\s+|\n", variation.get("text", "")):
            call, give = CALL.search(sentence), GIVE.search(sentence)
            if call and give and give.start() < call.start():
                wrong.append(f"{path}: {name}: {sentence}")
    assert not wrong, wrong


def test_the_dsm5_is_cited_only_for_its_criteria():
    """Withdrawal symptoms and the like come from NIDA and TIP 45; the DSM-5 is the source of the
    diagnostic criteria and their severity only."""
    citing = {name for name, path, variation in texts(ANSWERS)
              if "DSM-5 (2013)" in (variation.get("text") or "").splitlines()[-1]}
    assert citing <= {"utter_oud_criteria", "utter_oud_severity", "utter_more"}, citing


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
    assert citations("Source: NIH, Treatment settings (2014); Bell, A Journal (2012).") == [
        "NIH, Treatment settings (2014)", "Bell, A Journal (2012)"]
    assert other_names_pattern().search("Source: National Institutes of Health, X (2014).")
    assert other_names_pattern().search("Source: APA, DSM-5 (2013).")
    assert not other_names_pattern().search("Source: American Psychiatric Association, DSM-5.")
    sentence = "Anyone can give the nasal spray, and then call 911."
    assert GIVE.search(sentence).start() < CALL.search(sentence).start()
