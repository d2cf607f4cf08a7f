"""The crisis lexicon file and its matching rules, without the rest of the assistant."""
import copy

import pytest
import spacy
import yaml

from conftest import PROJECT
from safety.detection import detect, region_from_metadata
from safety.lexicon import (
    CompiledLexicon, Lexicon, LexiconError, common_english_words, normalize,
)

LEXICON_FILE = PROJECT / "data" / "safety" / "crisis_lexicon.yml"


def spacy_pipeline():
    config = yaml.safe_load((PROJECT / "config.yml").read_text())
    path = next(c["model"] for c in config["pipeline"] if c["name"] == "SpacyNLP")
    return spacy.load(PROJECT / path)


@pytest.fixture(scope="module")
def nlp():
    return spacy_pipeline()


@pytest.fixture(scope="module")
def lexicon(nlp):
    return CompiledLexicon(nlp, Lexicon.from_file(LEXICON_FILE), common_english_words())


def small_lexicon(nlp, **changes):
    data = yaml.safe_load(LEXICON_FILE.read_text())
    data = copy.deepcopy(data)
    for category in data["categories"].values():
        for tier in ("acute", "event", "mention"):
            category[tier] = {"en": [], "es": []}
    for path, value in changes.items():
        category, tier = path.split("__")
        data["categories"][category][tier]["en"] = value
    return CompiledLexicon(nlp, Lexicon.from_dict(data), common_english_words())


def test_the_shipped_lexicon_loads_and_compiles(lexicon):
    assert len(lexicon.lexicon.entries) > 500


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("version"), "version: 1"),
    (lambda d: d["categories"].pop("self_harm"), "categories must be exactly"),
    (lambda d: d["categories"]["overdose"].update(urgent={"en": ["x"]}), "unknown tiers"),
    (lambda d: d["categories"]["overdose"]["acute"].update(fr=["x"]), "'en:' and/or 'es:'"),
    (lambda d: d["categories"]["overdose"]["acute"]["en"].append("... wake"), "starts or ends"),
    (lambda d: d["categories"]["suicide"].update(person="me"), "must be 'self' or 'other'"),
    (lambda d: d["regions"].update(XX=["atlantis"]), "regions must be among"),
    (lambda d: d["bare_call"].pop("signals"), "bare_call needs exactly"),
    (lambda d: d["not_category"].update(nonsense={"en": ["x"]}), "not_category keys"),
    (lambda d: d["context"].update(weather={"en": ["rain"]}), "context keys"),
])
def test_a_malformed_lexicon_is_refused_with_a_clear_message(mutate, message):
    data = yaml.safe_load(LEXICON_FILE.read_text())
    mutate(data)
    with pytest.raises(LexiconError, match=message):
        Lexicon.from_dict(data)


def test_normalize_folds_case_accents_quotes_and_stretched_letters():
    assert normalize("NO RESPIRÁ") == "no respira"
    assert normalize("he won’t wake") == "he wont wake"
    assert normalize("she od'd, he's OD'ing") == "she overdosed, hes overdosing"
    assert normalize("helppp sooo scared") == "help so scared"
    assert normalize("o.d.") == "od"


def test_base_forms_match_every_form_and_other_forms_only_themselves(nlp):
    lexicon = small_lexicon(nlp, overdose__acute=["overdosing"], suicide__event=["kill myself"])
    assert detect(lexicon, "I think I'm overdosing").kind == "crisis"
    assert detect(lexicon, "I read about overdoses").kind == "none"
    assert detect(lexicon, "I keep thinking about killing myself").kind == "crisis"


def test_gaps_allow_a_few_words_but_not_punctuation(nlp):
    lexicon = small_lexicon(nlp, overdose__acute=["lips ... blue"])
    assert detect(lexicon, "his lips look kind of blue").kind == "crisis"
    assert detect(lexicon, "his lips are chapped. the car is blue").kind == "none"


def test_typos_are_forgiven_but_real_words_are_not_typos(nlp):
    lexicon = small_lexicon(nlp, overdose__acute=["not breathing"],
                            suicide__event=["want to die"])
    assert detect(lexicon, "hes not breething").kind == "crisis"
    assert detect(lexicon, "she is not breathign").kind == "crisis"  # swapped letters
    assert detect(lexicon, "I want to lie down").kind == "none"  # "lie" is a word, not "die"


def test_short_words_match_exactly(nlp):
    lexicon = small_lexicon(nlp, suicide__event=["kms"])
    assert detect(lexicon, "kms").kind == "crisis"
    assert detect(lexicon, "we walked 5 km").kind == "none"


def test_idioms_cancel_a_crisis_phrase_inside_them(lexicon):
    assert detect(lexicon, "my tooth fell out").kind == "none"
    assert detect(lexicon, "he fell out after using").kind == "crisis"


def test_tiers_and_frames(lexicon):
    # acute: even inside a question
    assert detect(lexicon, "what do I do, he is not breathing?").kind == "crisis"
    # event: an emergency now, not in the past or as a what-if
    assert detect(lexicon, "I want to die").kind == "crisis"
    assert detect(lexicon, "I wanted to die years ago, now I'm in recovery").kind == "mention"
    assert detect(lexicon, "what if my son says he wants to die").kind == "mention"
    # mention: an emergency unless it is a question; short or urgent messages always are
    assert detect(lexicon, "what are the signs of an overdose").kind == "mention"
    assert detect(lexicon, "my friend overdosed").kind == "crisis"
    assert detect(lexicon, "overdose").kind == "crisis"
    assert detect(lexicon, "narcan now please help me").kind == "crisis"


@pytest.mark.parametrize("text, person", [
    ("my brother won't wake up", "other"),
    ("I think I'm overdosing", "self"),
    ("my son says he wants to kill himself", "other"),
    ("I want to kill myself, my mom doesn't know", "self"),
    ("I found my husband and I can't wake him", "other"),
    ("she went out on me and she's not coming back around", "other"),
    ("cant breathe", "self"),
])
def test_who_is_in_danger(lexicon, text, person):
    assert detect(lexicon, text).person == person


@pytest.mark.parametrize("text, region", [
    ("I'm in London and my flatmate isn't breathing", "UK"),
    ("here in Melbourne, my partner won't wake up", "AU"),
    ("Dublin. I want to kill myself", "IE"),
    ("Belfast, my friend overdosed", "UK"),  # Northern Ireland is in the UK
    ("Toronto, he's not breathing", "CA"),
    ("estoy en Madrid y mi amigo no respira", "EU"),
    ("I'm in Tokyo and I feel suicidal", "OTHER"),
    ("can you help us, he is not breathing", None),  # "us" is not a place
])
def test_location_cues(lexicon, text, region):
    assert detect(lexicon, text).region == region


def test_metadata_region_and_text_cue_precedence(lexicon):
    assert region_from_metadata({"region": "uk"}) == "UK"
    assert region_from_metadata({"country": "GB"}) == "UK"
    assert region_from_metadata({"country": "DE"}) == "EU"
    assert region_from_metadata({"country": "JP"}) == "OTHER"
    assert region_from_metadata({"country": "PR"}) == "US"
    assert region_from_metadata({"region": 5}) is None
    assert detect(lexicon, "he is not breathing", {"region": "AU"}).region == "AU"
    assert detect(lexicon, "I'm in London, he is not breathing", {"region": "AU"}).region == "UK"


def test_spanish_is_recognised_but_shared_words_do_not_switch_language(lexicon):
    assert detect(lexicon, "mi hermano no respira").language == "es"
    assert detect(lexicon, "need narcan now he is blue").language == "en"


# --- described emergencies (issue 14) ---------------------------------------------------------


@pytest.mark.parametrize("text, category", [
    ("sos", "general"), ("URGENT!!", "general"), ("need help right now", "general"),
    ("HELP", "general"), ("🆘", "general"), ("ayuda urgente", "general"),
    ("help", None), ("i need help", None), ("help me understand methadone", None),
])
def test_bare_calls_for_help(lexicon, text, category):
    detection = detect(lexicon, text)
    assert detection.category == category
    assert detection.kind == ("crisis" if category else "none")


@pytest.mark.parametrize("text, expected", [
    ("he's slumped in the car after using and won't answer", "overdose"),
    ("slumped on the couch watching tv", None),  # a scene word alone is nothing
    ("my phone won't answer", None),
    ("his head is on the wheel and he won't answer me", "overdose"),  # two scene words
    ("guy passed out in the restroom with a needle next to him", "overdose"),  # after use
    ("my friend in withdrawal passed out twice today", "medical_danger"),
])
def test_scene_words_count_after_drug_use_or_together(lexicon, text, expected):
    detection = detect(lexicon, text)
    assert (detection.category if detection.kind == "crisis" else None) == expected


@pytest.mark.parametrize("text, kind", [
    ("been cutting back gradually", "none"),
    ("cut my amount by a third so far", "none"),
    ("I keep cutting my arms", "crisis"),
    ("tapering and I want to die", "crisis"),  # ruling out self-harm leaves suicide
    ("I take my suboxone twice a day", "none"),
    ("I took my suboxone twice by mistake", "crisis"),
])
def test_not_category_rules_out_only_its_own_category(lexicon, text, kind):
    assert detect(lexicon, text).kind == kind


@pytest.mark.parametrize("text, kind", [
    ("years ago my lips went blue and a friend saved me", "mention"),
    ("he overdosed last year and now he's not breathing again", "crisis"),
    ("I relapsed last week and now I want to die", "crisis"),
    ("if someone's lips turn blue what do I do", "mention"),
    ("what if he stops breathing, please help!!", "crisis"),
])
def test_past_stories_and_what_ifs(lexicon, text, kind):
    assert detect(lexicon, text).kind == kind


@pytest.mark.parametrize("text, person, language", [
    ("everything's slowing down, my breathing is slow, i took extra", "self", "en"),
    ("my friend who's staying with me just went floppy after using", "other", "en"),
    ("me he estado cortando los brazos otra vez", "self", "es"),
    ("mi pareja está en el carro con la cabeza caída y no me contesta", "other", "es"),
])
def test_who_and_which_language_in_described_emergencies(lexicon, text, person, language):
    detection = detect(lexicon, text)
    assert (detection.kind, detection.person, detection.language) == ("crisis", person, language)


def test_a_place_name_forgives_one_typo_only(lexicon):
    assert detect(lexicon, "I hurt myself again and I'm frightened").region is None
    assert detect(lexicon, "I'm in Brigton and my friend won't wake").region == "UK"
