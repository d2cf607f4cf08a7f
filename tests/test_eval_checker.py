"""`make eval` judges which response answered (scripts/eval_questions.py). Several responses
share a text ("Which one do you mean?"), so the checker must go by the response Rasa sent, not
by the text alone, or a right answer is scored as another."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from eval_questions import answer_key, bot_replies_to_last_message, response_index  # noqa: E402


def test_a_shared_clarifying_text_is_scored_as_the_response_that_sent_it(agent, chat):
    index = response_index(agent.domain)
    chat.send("where do i get it")
    key = answer_key(bot_replies_to_last_message(chat.tracker), index)
    assert chat.last_intent == "ask_where_to_get" and key == "utter_where_to_get"
    # This case is worth testing only while the text alone points at another response.
    shared = bot_replies_to_last_message(chat.tracker)[0]["text"]
    assert index[(None, shared)][0] != "utter_where_to_get", "pick a text that is still shared"


def test_a_subject_answer_is_scored_with_its_subject(agent, chat):
    chat.send("what is methadone")
    key = answer_key(bot_replies_to_last_message(chat.tracker), response_index(agent.domain))
    assert key == "utter_what_is[methadone]"
