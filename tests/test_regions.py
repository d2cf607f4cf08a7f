"""Every response gives the user's region its own emergency numbers, never a US-only service.

The emergency replies (domain/safety.yml) and the other responses that name an emergency number,
a crisis line or a US-only service (generated into their domain files from
data/safety/regional_responses.yml) have one variation per region. Checked three ways: the
generated text matches its source; over the whole domain, as Rasa picks variations; and through
the real trained assistant, with the region from the channel or from the message.
"""
import re
import shutil

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter

from conftest import PROJECT, Conversation, free_port, load_agent
from safety import regional, replies
from test_content import RESPONSES

TABLES = yaml.safe_load(
    (PROJECT / "data" / "safety" / "crisis_replies.yml").read_text(encoding="utf-8"))["regions"]
NON_US = ["UK", "IE", "CA", "AU", "EU", "OTHER"]
LANGUAGES = ["en", "es"]

# US-only numbers and services: never offered to another region. 911 is Canada's number too.
US_ONLY = re.compile(r"(?<![\d-])988(?![\d-])|741741|1-800-|FindTreatment|Never Use Alone"
                     r"|Poison Control|Crisis Text Line|US states have Good Samaritan",
                     re.IGNORECASE)
NINE_ONE_ONE = re.compile(r"(?<![\d-])911(?![\d-])")
# What marks a text as naming an emergency number or a crisis line, in its US version.
US_EMERGENCY = NINE_ONE_ONE
US_CRISIS = re.compile(r"(?<![\d-])988(?![\d-])")


def body(text: str) -> str:
    """The text without its Source line: a citation names an authority, it offers no service."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("Source: "))


def us_only_in(text: str, region: str):
    """The US-only numbers and services a text offers to `region`."""
    found = US_ONLY.findall(body(text))
    if region != "CA":
        found += NINE_ONE_ONE.findall(body(text))
    return found


def markers(region: str, key: str, otherwise):
    """How a text names this region's emergency number (key "number") or crisis line (key
    "crisis_short"), in either language: its numbers, or the words used where there is none."""
    found = set(re.findall(r"\d[\d -]*\d", TABLES[region]["en"][key]))
    return found or set(otherwise)


def emergency_markers(region):
    return markers(region, "number", ["local emergency number", "número de emergencias local"])


def crisis_markers(region):
    return markers(region, "crisis_short", ["crisis line", "línea de crisis"])


# --- the generated blocks match their source ---------------------------------------------------


def test_the_generated_domain_matches_its_source():
    assert regional.stale(regional.build(PROJECT / "domain", PROJECT / regional.SOURCE,
                                         PROJECT / replies.SOURCE)) == [], \
        "run `make` (python -m safety.regional) after editing data/safety/regional_responses.yml"
    assert (PROJECT / replies.TARGET).read_text(encoding="utf-8") == \
        replies.build(PROJECT / replies.SOURCE), \
        "run `make` (python -m safety.replies) after editing data/safety/crisis_replies.yml"


@pytest.fixture
def project_copy(tmp_path):
    shutil.copytree(PROJECT / "domain", tmp_path / "domain")
    shutil.copytree(PROJECT / "data" / "safety", tmp_path / "safety")
    return tmp_path


def check(copy):
    return regional.stale(regional.build(copy / "domain", copy / "safety" / "regional_responses.yml",
                                         copy / "safety" / "crisis_replies.yml"))


def test_a_hand_edit_inside_a_block_is_caught(project_copy):
    overdose = project_copy / "domain" / "answers" / "overdose.yml"
    overdose.write_text(overdose.read_text().replace("call 999", "call 998", 1))
    assert check(project_copy) == [overdose]


def test_a_changed_source_or_table_is_caught(project_copy):
    source = project_copy / "safety" / "regional_responses.yml"
    source.write_text(source.read_text().replace("If you see these signs now", "If you see it"))
    assert check(project_copy) == [project_copy / "domain" / "answers" / "overdose.yml"]
    tables = project_copy / "safety" / "crisis_replies.yml"
    tables.write_text(tables.read_text().replace("call_lc: call 000", "call_lc: dial 000"))
    assert len(check(project_copy)) >= 10  # every file with an AU text that says "call 000"


def test_a_us_only_number_cannot_reach_another_region(project_copy):
    """The US-only numbers are in the US table alone: another region's text cannot name them."""
    source = project_copy / "safety" / "regional_responses.yml"
    source.write_text(source.read_text().replace(
        'crisis: "and in a crisis, {crisis_short}"',
        'crisis: "and in a crisis, call {samhsa_helpline}"'))
    with pytest.raises(regional.RegionalError, match="samhsa_helpline"):
        check(project_copy)


def test_a_block_without_an_entry_or_an_entry_without_a_block_fails(project_copy):
    core = project_copy / "domain" / "core.yml"
    text = core.read_text()
    core.write_text(text.replace("# BEGIN generated: utter_goodbye ", "# BEGIN generated: utter_bye "))
    with pytest.raises(regional.RegionalError, match="utter_bye"):
        check(project_copy)


# --- over the whole domain -----------------------------------------------------------------------


def variations(name):
    return [variation for _, variation in RESPONSES[name]]


def region_condition(variation):
    return next((c["value"] for c in variation.get("condition") or [] if c["name"] == "region"),
                None)


def test_no_variation_for_another_region_names_a_us_only_number():
    checked = 0
    for name in RESPONSES:
        for variation in variations(name):
            region = region_condition(variation)
            if region and region != "US":
                found = us_only_in(variation.get("text", ""), region)
                assert not found, f"{name} ({region}) offers {found}"
                checked += 1
    assert checked > 300


def slot_states(name):
    """The slot values a response's conditions tell apart (other than region and language),
    plus none set: each a state to pick the response in."""
    states = [{}]
    for variation in variations(name):
        state = {c["name"]: c["value"] for c in variation.get("condition") or []
                 if c["name"] not in ("region", "language")}
        if state not in states:
            states.append(state)
    return states


def picked(name, slots):
    """The variations Rasa picks from for these slot values (one is chosen at random)."""
    return ResponseVariationFilter({name: variations(name)}).responses_for_utter_action(
        name, "collector", slots)


@pytest.mark.parametrize("region", NON_US)
def test_every_response_gives_another_region_its_own_numbers(region):
    """For every response, in every state, as Rasa picks: no US-only number, and where the US
    text names the emergency number or 988, this region's own number or crisis line instead."""
    for name in RESPONSES:
        for state in slot_states(name):
            us = picked(name, {**state, "region": "US", "language": "en"})
            for language in LANGUAGES:
                choice = picked(name, {**state, "region": region, "language": language})
                where = f"{name} {state} ({region}, {language})"
                assert choice, f"{where}: no variation"
                for variation in choice:
                    text = variation.get("text", "")
                    assert not us_only_in(text, region), f"{where}: {us_only_in(text, region)}"
                    if any(US_EMERGENCY.search(body(v.get("text", ""))) for v in us):
                        assert any(n in text for n in emergency_markers(region)), \
                            f"{where}: no emergency number in {text!r}"
                    if any(US_CRISIS.search(body(v.get("text", ""))) for v in us):
                        assert any(n in text for n in crisis_markers(region)), \
                            f"{where}: no crisis line in {text!r}"


def test_exactly_one_variation_fits_each_region():
    """A response with variations by region never leaves Rasa a random choice between them."""
    for name in RESPONSES:
        if not any(region_condition(v) for v in variations(name)):
            continue
        for state in slot_states(name):
            for region in ["US"] + NON_US:
                for language in LANGUAGES:
                    choice = picked(name, {**state, "region": region, "language": language})
                    assert len({v.get("text") for v in choice}) == 1, \
                        f"{name} {state} ({region}, {language}): {len(choice)} variations"


def test_the_checks_catch_what_they_look_for():
    assert us_only_in("call 911 now", "UK") == ["911"]
    assert us_only_in("call 911 now", "CA") == []
    assert us_only_in("call or text 9-8-8", "CA") == []
    assert us_only_in("call or text 988, or 1-800-662-4357", "AU") == ["988", "1-800-"]
    assert us_only_in("Source: SAMHSA, National Helpline and FindTreatment.gov (2024).", "UK") == []
    assert emergency_markers("IE") == {"112", "999"}
    assert crisis_markers("UK") == {"116 123", "85258"}
    assert crisis_markers("OTHER") == {"crisis line", "línea de crisis"}


# --- through the trained assistant -----------------------------------------------------------------

GREETING = "hi"
OVERDOSE_SIGNS = "what if he overdoses?"
WITHDRAWAL_DANGER = "when should i go to the er for withdrawal"
NALOXONE = "should I keep narcan at home?"
NALOXONE_SUBJECT = "what is naloxone"


def call(region):
    return TABLES[region]["en"]["call_lc"]


def assert_regional(text, region):
    assert call(region) in text.lower(), f"{region}: {call(region)!r} not in {text!r}"
    assert not us_only_in(text, region), f"{region}: {us_only_in(text, region)} in {text!r}"


@pytest.mark.parametrize("region", NON_US)
@pytest.mark.parametrize("message", [GREETING, OVERDOSE_SIGNS, WITHDRAWAL_DANGER, NALOXONE,
                                     NALOXONE_SUBJECT])
def test_answers_give_the_channels_region_its_numbers(chat, region, message):
    replies = chat.send(message, metadata={"region": region})
    assert_regional(replies[0]["text"], region)
    for reply in replies:
        assert not us_only_in(reply.get("text", ""), region)


@pytest.mark.parametrize("message, response", [
    (GREETING, "utter_welcome"),
    (OVERDOSE_SIGNS, "utter_overdose_signs"),
    (WITHDRAWAL_DANGER, "utter_withdrawal_urgent"),
    (NALOXONE, "utter_naloxone_at_home"),
])
def test_the_us_text_is_unchanged(chat, message, response):
    [default] = [v for v in variations(response) if "condition" not in v]
    assert chat.send(message)[0]["text"] == default["text"]


def test_in_the_uk_what_if_he_overdoses_says_call_999(chat):
    chat.send("I'm in Manchester")
    assert chat.slot("region") == "UK"
    first_line = chat.send(OVERDOSE_SIGNS)[0]["text"].splitlines()[0]
    assert first_line == "If you see these signs now, call 999."


def test_an_sms_user_from_the_uk_is_greeted_with_uk_numbers(chat):
    # The Twilio channel passes the country of the sender's number (FromCountry / +44).
    text = chat.send(GREETING, metadata={"country": "GB"})[0]["text"]
    assert "call 999 now" in text and "116 123" in text
    assert "911" not in text and "988" not in text


@pytest.mark.parametrize("region", NON_US)
def test_the_deletion_confirmation_gives_the_regions_number(chat, region):
    chat.send("please delete this conversation", metadata={"region": region})
    text = chat.send("/affirm", metadata={"region": region})[0]["text"]
    assert "deleted" in text
    assert_regional(text, region)


@pytest.mark.parametrize("region", ["UK", "AU"])
def test_finding_help_offers_no_us_service(chat, region):
    for message in ("where can I find treatment near me", "what is the helpline number",
                    "where do i get methadone"):
        text = "\n".join(r.get("text", "") for r in chat.send(message, metadata={"region": region}))
        assert not us_only_in(text, region), f"{message}: {text}"
        assert TABLES[region]["en"]["local_help"] in text, f"{message}: {text}"


def test_a_comparison_with_naloxone_gives_the_regions_number(chat):
    # A pair with no written comparison: each one's summary, picked by the action server.
    replies = chat.send("naloxone vs inpatient", metadata={"region": "AU"})
    text = "\n".join(r.get("text", "") for r in replies)
    assert "call 000" in text and not us_only_in(text, "AU")


def test_regional_answers_arrive_when_the_action_server_is_down(loop, model_path):
    agent = load_agent(loop, model_path, f"http://127.0.0.1:{free_port()}/webhook")
    chat = Conversation(agent, loop)
    assert "call 112" in chat.send(GREETING, metadata={"region": "EU"})[0]["text"]
    text = chat.send(OVERDOSE_SIGNS, metadata={"region": "EU"})[0]["text"]
    assert text.startswith("If you see these signs now, call 112.")
