"""Curated answers through the trained assistant: subjects and their synonyms, follow-ups that
keep context, comparisons, "where is that from?", "tell me more", refusals."""
import pytest

from commercial_numbers import commercial_numbers_in
from conftest import buttons
from test_content import RESPONSES  # every domain response, by name


def answer(replies):
    return replies[0].get("text", "") if replies else ""


def source_line(text):
    return next((line for line in text.splitlines() if line.startswith("Source: ")), None)


def responses_sent(chat):
    """The responses the assistant sent for the last message, by name (Rasa's utter_action)."""
    sent = []
    for event in reversed(chat.tracker.events):
        if event.type_name == "user":
            break
        if event.type_name == "bot":
            sent.append((event.metadata or {}).get("utter_action"))
    return sent[::-1]


@pytest.mark.parametrize("question, must_contain", [
    ("what is methadone?", "methadone"),
    ("tell me about vivitrol", "naltrexone"),
    ("what's narcan", "naloxone"),
    ("what are subs exactly", "buprenorphine"),
    ("what is an intensive outpatient program", "outpatient"),
    ("what is CBT", "behavioral"),
    ("methadone", "methadone"),  # a name on its own asks what it is
    ("iop", "outpatient"),
    ("what is na", "narcotics anonymous"),
    ("does NA help", "12-step"),
])
def test_subjects_and_their_synonyms_are_understood(chat, question, must_contain):
    text = answer(chat.send(question))
    assert must_contain.lower() in text.lower()
    assert source_line(text)


@pytest.mark.parametrize("question, subject", [
    ("what is cognitive behavioural therapy", "cbt"),
    ("how does dialectical behavior therapy help", "dbt"),
    ("whats community reinforcement and family training", "community_reinforcement"),
])
def test_a_subject_named_in_full_gets_that_subjects_answer(chat, question, subject):
    """The subject's long name must not pull the question to a general topic ("therapies")."""
    text = answer(chat.send(question))
    assert chat.slot("subject") == subject
    assert chat.last_intent in ("ask_what_is", "ask_how_it_works")
    assert source_line(text)


def test_na_as_a_reply_is_not_narcotics_anonymous(chat):
    chat.send("what is methadone")
    chat.send("na")
    assert chat.last_intent == "deny" and chat.slot("subject") == "methadone"


@pytest.mark.parametrize("question, subject", [
    ("is sober living a good idea for my son after rehab", "sober_living"),
    ("how long do you stay in rehab after detox", "inpatient"),
    ("after detox should i go to iop", "intensive_outpatient"),
    ("does family therapy help if my husband is on methadone", "family_therapy"),
    ("does group therapy help people stay on suboxone", "group_counseling"),
    ("is cbt useful for patients on methadone", "cbt"),
    ("is craft right for a dad whose daughter refuses to go to rehab", "community_reinforcement"),
    ("how does group counseling work in outpatient", "group_counseling"),
    ("why do they put naloxone in suboxone", "suboxone"),  # "in" sets the scene only for places
])
def test_a_subject_that_only_sets_the_scene_does_not_become_the_topic(chat, question, subject):
    """Rasa fills the slot from the last subject named; "after rehab" is the setting, not the
    topic (components/subject_focus.py)."""
    text = answer(chat.send(question))
    assert chat.slot("subject") == subject and source_line(text)


def test_the_subject_named_last_fills_the_slot_however_its_name_was_found(chat):
    """"MET" is found by a pattern, "cbt" by the names list; Rasa lists pattern matches after
    list matches, so without reordering the slot took MET (components/subject_focus.py)."""
    chat.send("tell me about MET and cbt")
    assert chat.slot("subject") == "cbt"
    chat.send("tell me about cbt and MET")
    assert chat.slot("subject") == "met"


def test_follow_ups_keep_the_subject(chat):
    chat.send("what is methadone?")
    assert chat.slot("subject") == "methadone"
    duration = answer(chat.send("how long do people stay on it?"))
    assert source_line(duration)
    assert chat.slot("subject") == "methadone" and chat.slot("aspect") == "duration"
    other = answer(chat.send("what about buprenorphine?"))
    assert chat.slot("subject") == "buprenorphine"
    assert other != duration and source_line(other)


def test_compare_it_with_another_uses_the_subject_being_discussed(chat):
    chat.send("what is methadone")
    text = answer(chat.send("compare it with naltrexone"))
    assert "methadone" in text.lower() and "naltrexone" in text.lower()
    assert source_line(text)


MEDICATIONS = ["methadone", "buprenorphine", "suboxone", "naltrexone", "naloxone", "diamorphine",
               "lofexidine"]


def test_every_two_medications_have_a_written_comparison():
    missing = [f"{a}__{b}" for i, a in enumerate(MEDICATIONS) for b in MEDICATIONS[i + 1:]
               if f"utter_compare_{a}__{b}" not in RESPONSES]
    assert not missing


def test_every_comparison_is_named_in_the_order_the_action_looks_it_up():
    """action_compare looks up utter_compare_<a>__<b> with a before b in SUBJECTS; a comparison
    named the other way round would never be sent."""
    from actions.answers import SUBJECTS

    for name in RESPONSES:
        if name.startswith("utter_compare_") and "__" in name:
            first, second = name[len("utter_compare_"):].split("__")
            assert SUBJECTS.index(first) < SUBJECTS.index(second), name


@pytest.mark.parametrize("question, must_contain", [
    ("compare lucemyra and methadone", ("lofexidine", "methadone")),
    ("whats the difference between narcan and suboxone", ("naloxone", "suboxone")),
    ("what's the difference between detox and inpatient rehab", ("detox", "inpatient")),
    ("can i go to na meetings instead of rehab", ("12-step", "inpatient")),
    ("naloxone vs naltrexone whats the diff", ("naloxone", "naltrexone")),
    # pairs that share their last word name both subjects
    ("whats the difference between individual and group counseling", ("group", "individual")),
    ("what is the difference between short term and long term rehab", ("short", "long")),
])
def test_comparisons_are_answered(chat, question, must_contain):
    text = answer(chat.send(question))
    assert all(word in text.lower() for word in must_contain), text
    assert source_line(text)


def test_day_count_names_are_short_term_residential(chat):
    text = answer(chat.send("who is a 30 day rehab good for"))
    assert chat.slot("subject") == "short_term_residential"
    assert "3 months" in text and source_line(text)


def test_a_pair_without_a_written_comparison_gets_each_ones_summary(chat):
    replies = chat.send("compare dbt and contingency management")
    texts = [r.get("text", "") for r in replies]
    assert "side-by-side" in texts[0]
    summaries = [t for t in texts[1:] if source_line(t)]
    assert len(summaries) == 2
    assert "dialectical" in summaries[0].lower() and "contingency" in summaries[1].lower()


def test_two_names_for_one_subject_are_answered_as_one_kind(chat):
    replies = chat.send("is a halfway house the same as sober living?")
    texts = [r.get("text", "") for r in replies]
    assert "same kind of thing" in texts[0]
    assert any("sober living" in t.lower() and source_line(t) for t in texts[1:])
    assert chat.slot("subject") == "sober_living"


def test_two_names_for_one_setting_are_not_called_one_medicine(chat):
    """Settings have a forms answer too, but only medicines are "the same medicine"."""
    assert "same kind of thing" in answer(chat.send("is rehab the same as residential treatment"))


def test_two_brands_of_one_medicine_are_told_apart_by_their_forms(chat):
    """Subutex and Sublocade are both buprenorphine, but a tablet and a monthly injection:
    "the same thing" would be wrong, so the reply gives buprenorphine's forms."""
    replies = chat.send("subutex vs sublocade")
    texts = [r.get("text", "") for r in replies]
    assert "same thing" not in texts[0] and "same medicine" in texts[0]
    assert any("injection" in t and source_line(t) for t in texts[1:])
    assert chat.slot("subject") == "buprenorphine"


def test_is_x_enough_answers_about_x_and_detox_about_detox(chat):
    """"Is detox enough?" has its own answer; "is talk therapy enough on its own?" asks how well
    talk therapy works, not about detox."""
    detox = answer(chat.send("is detox enough on its own"))
    assert "detox" in detox.lower() and source_line(detox)
    other = answer(chat.send("is talk therapy enough on its own"))
    assert chat.slot("subject") == "talk_therapy"
    assert other != detox and "therap" in other.lower() and source_line(other)


def test_where_is_that_from_gives_the_last_answers_source(chat):
    first = answer(chat.send("what is the relapse rate for opioid addiction"))
    replies = chat.send("where is that from?")
    assert source_line(first)[len("Source: "):] in answer(replies)


def test_where_is_that_from_before_any_answer(chat):
    assert "haven't given an answer" in answer(chat.send("where did you get that from?"))


def test_an_aspect_question_without_a_subject_asks_which(chat):
    replies = chat.send("how long do people usually stay on it?")
    assert answer(replies).rstrip().endswith("?")
    assert buttons(replies)


def test_tell_me_more_after_a_subject_offers_its_other_aspects(chat):
    chat.send("what is methadone")
    replies = chat.send("tell me more")
    payloads = [b["payload"] for b in buttons(replies)]
    assert '/ask_how_it_works{"subject": "methadone"}' in payloads
    text = answer(chat.send('/ask_how_it_works{"subject": "methadone"}'))
    assert "agonist" in text and source_line(text)


def test_tell_me_more_without_more_offers_topics(chat):
    replies = chat.send("tell me more")
    assert buttons(replies)


@pytest.mark.parametrize("request_text", [
    "where can I buy heroin around here",
    "how much should I take to get high",
    "will taking extra methadone get me high",
])
def test_requests_for_drugs_or_doses_are_refused_kindly_with_a_route_to_help(chat, request_text):
    text = "\n".join(r.get("text", "") for r in chat.send(request_text))
    assert "1-800-662-4357" in text or "FindTreatment.gov" in text
    assert not source_line(text)


def test_asking_where_to_get_naloxone_is_answered_even_when_it_reads_like_a_drug_request(chat):
    """After "what is narcan?", "where can i get some?" reads like a drug request; naloxone is
    the one drug to help people get, so the reply says where, and still declines the rest."""
    chat.send("what is narcan")
    text = answer(chat.send("where can i get some"))
    assert "without a prescription" in text and source_line(text)
    assert "can't help with getting heroin" in text and "1-800-662-4357" in text


def test_asking_whether_a_medication_causes_a_high_is_answered_not_refused(chat):
    """A patient asking what their medication does is not asking how to misuse it."""
    text = answer(chat.send("does methadone get you high"))
    assert chat.last_intent == "ask_misuse" and source_line(text)


@pytest.mark.parametrize("question", [
    "what are the side effects of methadone",
    "do subs show up on a drug test",
    "can you take suboxone while on methadone",
])
def test_personal_medical_questions_the_sources_do_not_answer_go_to_the_prescriber(chat, question):
    """No sourced answer exists for side effects, interactions with other medicines or drug
    tests: the reply says so and names who can answer, instead of a refusal or a "did you mean".
    (Pregnancy, alcohol and sedatives have their own sourced answers: see below.)"""
    text = answer(chat.send(question))
    assert chat.last_intent == "ask_medical_specifics"
    assert "pharmacist" in text and "don't have a sourced answer" in text
    assert not source_line(text)


@pytest.mark.parametrize("question", [
    "am i allowed to have my phone in rehab",
    "what can i take with me to inpatient",
])
def test_house_rules_questions_send_the_person_to_the_program(chat, question):
    """Phones, visits, what to bring: each program's own rules, which no source covers; not the
    helpline and not "outside what I know"."""
    replies = chat.send(question)
    assert "house rules" in answer(replies) and "ask" in answer(replies)
    assert "choosing a program" in [b["title"].lower() for b in buttons(replies)]


def test_answers_never_show_a_commercial_number(chat):
    for question in ["how do I find a rehab", "who can I call about treatment",
                     "does insurance cover treatment"]:
        text = answer(chat.send(question))
        assert not commercial_numbers_in(text)


# --- issue 14: questions that had no answer ---------------------------------------------------
# Phrasings written for these tests, apart from the training examples.

@pytest.mark.parametrize("question, response", [
    ("I just learned I'm expecting. Do I have to come off my bupe?", "utter_pregnancy"),
    ("is methadone going to harm my unborn child", "utter_pregnancy"),
    ("pregnant + on subutex, what happens w the baby after delivery", "utter_pregnancy"),
    ("my doc gave me xanax for anxiety, is that safe with my suboxone", "utter_mixing_sedatives"),
    ("how risky is drinking beer while taking methadone", "utter_mixing_sedatives"),
    ("klonopin plus buprenorphine, is that a bad combo", "utter_mixing_sedatives"),
    ("would kratom be a safer way to kick dope", "utter_unapproved_remedies"),
    ("can a bunch of imodium get me through opiate withdrawal", "utter_unapproved_remedies"),
    ("those detox-at-home kits sold online, do they actually work?", "utter_unapproved_remedies"),
    ("can I begin vivitrol before I've stopped using?", "utter_medication_start"),
    ("how many opioid free days before the naltrexone shot", "utter_medication_start"),
    ("do u have to be dopesick before taking your first suboxone", "utter_medication_start"),
    ("what's the shot you get every week instead of daily subs", "utter_injections"),
    ("are there long lasting injections for opiate addiction", "utter_injections"),
    ("can I get buprenorphine from a doctor on a video call", "utter_telehealth"),
    ("is online suboxone treatment allowed", "utter_telehealth"),
    ("what do they actually do with you at a methadone clinic", "utter_methadone_clinic"),
    ("how long until the clinic lets me take my methadone home", "utter_methadone_clinic"),
    ("in a day program do you go home to sleep", "utter_live_at_home"),
    ("do you have to stay overnight for partial hospitalization", "utter_live_at_home"),
    ("my opioid use disorder is mild, what kind of program makes sense", "utter_setting_for_severity"),
    ("which treatment setting for a mild case of oud", "utter_setting_for_severity"),
    ("what can I do to stay clean once I leave rehab", "utter_relapse_prevention"),
    ("tips for not relapsing after treatment is over", "utter_relapse_prevention"),
    ("will medicare pay for my methadone", "utter_medicare"),
    ("my grandma has medicare, does it cover suboxone treatment", "utter_medicare"),
    ("can my job find out that I'm in addiction treatment", "utter_records_privacy"),
    ("are substance use treatment records confidential", "utter_records_privacy"),
    ("what exactly are fentanyl testing strips", "utter_fentanyl"),
    ("why is fentanyl killing so many people", "utter_fentanyl"),
])
def test_questions_that_had_no_answer_get_their_sourced_answer(chat, question, response):
    replies = chat.send(question)
    assert responses_sent(chat)[0] == response, (question, responses_sent(chat))
    assert source_line(answer(replies))


def test_starting_vivitrol_while_still_using_is_a_medication_question(chat):
    """Not a request for use tips: naltrexone needs 7 to 10 opioid-free days, Vivitrol is named as
    the monthly injection, and buprenorphine's start in withdrawal is explained."""
    text = answer(chat.send("can i get started on vivitrol while i'm still using"))
    assert "7 to 10 days" in text and "Vivitrol" in text and "withdrawal" in text
    assert "can't give tips" not in text and source_line(text)


def test_naltrexone_answers_name_vivitrol_and_the_overdose_warning(chat):
    text = answer(chat.send("what is naltrexone"))
    assert "Vivitrol" in text and "fatal" in text and "FDA" in source_line(text)


def test_asking_where_to_get_test_strips_is_not_refused(chat):
    """"Where can I get fentanyl" is refused; fentanyl test strips are harm reduction."""
    text = answer(chat.send("where can i get fentanyl test strips"))
    assert responses_sent(chat)[0] == "utter_fentanyl"
    assert "test strips" in text and "911" in text and "can't help with getting" not in text


def test_answers_naming_a_us_service_give_another_region_its_own(chat):
    """Fentanyl names the emergency number and Never Use Alone; telehealth, FindTreatment.gov."""
    text = answer(chat.send("what are fentanyl test strips", metadata={"region": "UK"}))
    assert "call 999, then give naloxone" in text and "Never Use Alone" not in text
    text = answer(chat.send("can I get suboxone prescribed over telehealth",
                            metadata={"region": "UK"}))
    assert "FindTreatment" not in text and "GP" in text


# --- follow-ups keyed on a theme (the `theme` slot) -------------------------------------------

@pytest.mark.parametrize("first, follow_up, response", [
    ("what is a relapse?", "how common is it?", "utter_relapse_rate"),
    ("what does a relapse mean", "does that happen a lot?", "utter_relapse_rate"),
    ("what are withdrawal symptoms?", "how long does it last?", "utter_withdrawal_timeline"),
    ("is opioid withdrawal dangerous", "and how long does it go on for", "utter_withdrawal_timeline"),
    ("what is heroin", "how common is it", "utter_figures"),
    ("what are the signs of an overdose", "how common is that", "utter_figures"),
    ("what are the levels of treatment", "how long does it take?", "utter_treatment_length"),
])
def test_a_follow_up_with_no_subject_is_answered_for_the_last_theme(chat, first, follow_up,
                                                                    response):
    chat.send(first)
    replies = chat.send(follow_up)
    assert responses_sent(chat)[0] == response, (first, follow_up, responses_sent(chat))
    assert source_line(answer(replies))


def test_a_subject_named_after_a_theme_takes_over(chat):
    """After the withdrawal answer, "how long" about a named medicine is about the medicine."""
    chat.send("what are the symptoms of withdrawal")
    chat.send("how long do people stay on methadone")
    assert responses_sent(chat) == ["utter_duration"] and chat.slot("subject") == "methadone"
    chat.send("what are withdrawal symptoms")
    chat.send("what is buprenorphine")
    chat.send("how long do people stay on it?")
    assert responses_sent(chat) == ["utter_duration"] and chat.slot("subject") == "buprenorphine"


def test_another_question_ends_the_theme(chat):
    chat.send("what are withdrawal symptoms")
    chat.send("does insurance cover treatment")
    replies = chat.send("how long does it last?")
    assert responses_sent(chat) == ["utter_duration"] and buttons(replies)


def test_how_common_with_nothing_before_asks_which_figure(chat):
    replies = chat.send("how common is it?")
    assert responses_sent(chat) == ["utter_how_common"]
    assert "/ask_relapse_rate" in [b["payload"] for b in buttons(replies)]
