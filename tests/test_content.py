"""Content rules the framework cannot check: sources on answers, only vetted phone numbers."""
import re

import pytest
import yaml

from conftest import PROJECT

DOMAIN = yaml.safe_load((PROJECT / "domain.yml").read_text())
RESPONSES = DOMAIN["responses"]

# Responses that answer a question; each must name its source.
ANSWERS = ["utter_treatment_options", "utter_medications", "utter_withdrawal",
           "utter_helping_someone", "utter_find_help"]
AUTHORITIES = ("NIDA", "SAMHSA", "ASAM", "National Institutes of Health", "DSM-5", "FDA",
               "Current Psychiatry")

# Public, non-commercial numbers from ../shared/safety/helplines.md. Anything else that looks like
# a phone number (the source articles' admissions lines, above all) must not reach a user.
VETTED_NUMBERS = {"911", "988", "741741", "1-800-662-4357", "1-800-487-4889", "1-800-222-1222",
                  "1-800-484-3731"}
# A formatted phone number, or digits right after "call", "text" or "dial" (911, 988, 741741).
PHONE = re.compile(r"\b(?:1-)?\(?\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b"
                   r"|\b(?:call|text|dial)(?: or text)?(?: \w+ to)? (\d[\d-]*\d)", re.IGNORECASE)
COMMERCIAL = re.compile(r"800-?926-?9037|866-?968-?5444|888-?341-?7785|800-?584-?5399|Who Answers",
                        re.IGNORECASE)
SHIPPED = ["domain.yml", "data", "actions", "credentials.yml", "endpoints.yml", "README.md"]


def response_texts(name):
    return [variation.get("text", "") for variation in RESPONSES[name]]


@pytest.mark.parametrize("name", ANSWERS)
def test_answers_name_an_authority_as_their_source(name):
    for text in response_texts(name):
        source_lines = [line for line in text.splitlines() if line.startswith("Source: ")]
        assert source_lines, f"{name} has no 'Source:' line"
        assert any(authority in source_lines[-1] for authority in AUTHORITIES), source_lines[-1]


def shipped_files():
    for entry in SHIPPED:
        path = PROJECT / entry
        yield from ([path] if path.is_file() else
                    (p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".py", ".csv", ".md"}))


def test_no_commercial_admissions_line_anywhere():
    offenders = [str(p) for p in shipped_files() if COMMERCIAL.search(p.read_text())]
    assert not offenders


def phone_numbers(text):
    return [match.group(1) or match.group(0) for match in PHONE.finditer(text)]


def test_every_phone_number_in_a_response_is_vetted():
    for name in RESPONSES:
        for text in response_texts(name):
            unvetted = set(phone_numbers(text)) - VETTED_NUMBERS
            assert not unvetted, f"{name}: unvetted numbers {unvetted}"


def test_the_checks_catch_a_commercial_number():
    # Guards the two checks above against silently matching nothing.
    assert COMMERCIAL.search("call 866-968-5444 now")
    assert phone_numbers("call 1-888-341-7785 today") == ["1-888-341-7785"]
    assert phone_numbers("call or text 988, or text HOME to 741741") == ["988", "741741"]
