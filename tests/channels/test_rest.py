"""The REST channel against the running assistant: what it refuses (a clear 4xx), what it answers,
and a bounded property-based fuzz with no crash and no 5xx."""
import json
import sqlite3
import urllib.error
import urllib.request
import uuid

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from channels.inbound import MAX_MESSAGE_CHARS


def post(assistant, body, content_type="application/json"):
    """(status, parsed JSON body) of a raw POST to the REST webhook."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{assistant.url}/webhooks/rest/webhook", data=data,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def stored_user_texts(assistant, sender):
    with sqlite3.connect(assistant.log.parent / "conversations.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (sender,)).fetchall()
    return [json.loads(d)["text"] for (d,) in rows if json.loads(d).get("event") == "user"]


def stored_rows(assistant):
    with sqlite3.connect(assistant.log.parent / "conversations.db") as db:
        return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def sender():
    return uuid.uuid4().hex


@pytest.mark.parametrize("body, error", [
    ({"message": "hello"}, '"sender" is required'),
    ({"sender": "", "message": "hello"}, '"sender" is required'),
    ({"sender": 42, "message": "hello"}, '"sender" is required'),
    ({"sender": "x" * 129, "message": "hello"}, "at most 128"),
    ({"sender": "a\x00b", "message": "hello"}, "printable"),
    ({"sender": "s"}, '"message" is required'),
    ({"sender": "s", "message": ["hello"]}, '"message" is required'),
    ({"sender": "s", "message": ""}, "empty"),
    ({"sender": "s", "message": " \n\t "}, "empty"),
    ({"sender": "s", "message": "\x00\x01"}, "empty"),
    ({"sender": "s", "message": "hi", "metadata": "UK"}, '"metadata" must be'),
    (["sender", "message"], "JSON object"),
    (b'{"sender": "s", "message": "hi"', "must be JSON"),
    (b'{"sender": "s", "message": "\xff\xfe"}', "UTF-8"),
    (b"", "must be JSON"),
])
def test_bad_requests_get_a_clear_400_and_nothing_is_stored(running_assistant, body, error):
    before = stored_rows(running_assistant)
    status, answer = post(running_assistant, body)
    assert status == 400 and error in answer["error"]
    assert stored_rows(running_assistant) == before
    # Rasa's own channel filed sender-less messages under one shared conversation, "default".
    assert stored_user_texts(running_assistant, "default") == []


def test_a_form_content_type_with_a_json_body_is_read(running_assistant):
    """curl -d sends application/x-www-form-urlencoded; the README's example must work."""
    status, answer = post(running_assistant, {"sender": sender(), "message": "hello"},
                          content_type="application/x-www-form-urlencoded")
    assert status == 200 and "automated educational tool" in answer[0]["text"]


def test_a_crisis_at_the_end_of_a_100_kb_message_is_still_found(running_assistant):
    text = "I have a question about treatment. " * 2850 + "my friend is not breathing"
    assert 99_000 < len(text) <= MAX_MESSAGE_CHARS
    status, answer = post(running_assistant, {"sender": sender(), "message": text})
    assert status == 200 and answer[0]["text"].startswith("Call 911 now")


def test_a_message_over_the_limit_is_refused_not_cut(running_assistant):
    status, answer = post(running_assistant,
                          {"sender": sender(), "message": "a" * (MAX_MESSAGE_CHARS + 1)})
    assert status == 413 and "longer than" in answer["error"]


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script> what is methadone",
    "😀" * 2000,
    "what is\x07 methadone\x1b[31m",
    "¿qué es la metadona?",
])
def test_odd_text_gets_an_answer(running_assistant, text):
    status, answer = post(running_assistant, {"sender": sender(), "message": text})
    assert status == 200 and answer and all(isinstance(m.get("text", ""), str) for m in answer)


def test_slash_text_is_an_intent_only_when_a_button_offered_it(running_assistant):
    person = sender()
    # Typed, never offered: the person's words, not an intent that skips NLU and the detector.
    status, _ = post(running_assistant, {"sender": person, "message": '/ask_cost{"subject": "x"}'})
    assert status == 200
    assert stored_user_texts(running_assistant, person)[-1] == 'ask_cost{"subject": "x"}'
    # White space before the slash (Rasa strips it before reading an intent) changes nothing.
    for typed in (" /affirm", "\n/affirm", "/ \t/affirm", '/\n/affirm{"region": "OTHER"}'):
        post(running_assistant, {"sender": person, "message": typed})
        assert not stored_user_texts(running_assistant, person)[-1].lstrip().startswith("/")
    # Offered by a button ("did you mean"): pressed as a button.
    _, unclear = post(running_assistant, {"sender": person, "message": "relapse"})
    payload = unclear[-1]["buttons"][0]["payload"]
    post(running_assistant, {"sender": person, "message": payload})
    assert stored_user_texts(running_assistant, person)[-1] == payload
    # The widget's "delete my conversation" control: a standing command, then the offered yes.
    _, question = post(running_assistant, {"sender": person, "message": "/delete_conversation"})
    assert [b["payload"] for b in question[0]["buttons"]] == ["/affirm", "/deny"]
    _, done = post(running_assistant, {"sender": person, "message": "/affirm"})
    assert "conversation is deleted" in done[0]["text"]
    assert stored_user_texts(running_assistant, person) == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=10)
BODIES = (st.binary(max_size=300)
          | st.builds(lambda value: json.dumps(value).encode(), JSON_VALUES)
          | st.builds(lambda s, m, meta: json.dumps(
              {"sender": s, "message": m, "metadata": meta}).encode(),
              st.text(min_size=1, max_size=40), st.text(max_size=300),
              st.none() | st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3)))


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES)
def test_fuzz_no_crash_no_5xx(running_assistant, body):
    status, _ = post(running_assistant, body)
    assert status in (200, 400, 413), status
