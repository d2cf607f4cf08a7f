"""Facebook Messenger (channels/messenger.py): the running assistant (scripts/run.sh) gets
Messenger's own webhook payloads, signed as Meta signs them, and its Send API calls land on a
fake Graph API on loopback. FACEBOOK_DEFAULT_REGION is UK here, so emergency replies say 999."""
import asyncio
import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests

from channels.messenger import (QUICK_REPLIES, TEMPLATE_TEXT_LIMIT, TEXT_LIMIT, TITLE_LIMIT,
                                MessengerOutput, SendAPI, messenger_messages, valid_signature)
from conftest import RunningAssistant, emergency_texts
from fake_platform import FakePlatform

VERIFY_TOKEN = "verify-" + uuid.uuid4().hex
APP_SECRET = "secret-" + uuid.uuid4().hex
PAGE_TOKEN = "page-token-" + uuid.uuid4().hex
PAGE_ID = "104577312345678"
API_VERSION = "/v25.0"


@pytest.fixture(scope="module")
def graph():
    fake = FakePlatform(lambda method, path, body: (
        200, {"recipient_id": (body or {}).get("recipient", {}).get("id"),
              "message_id": "m_" + uuid.uuid4().hex}))
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def assistant(graph, tmp_path_factory):
    running = RunningAssistant(tmp_path_factory.mktemp("messenger"), env={
        "FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "FACEBOOK_APP_SECRET": APP_SECRET,
        "FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN, "FACEBOOK_API_URL": graph.url + API_VERSION,
        "FACEBOOK_DEFAULT_REGION": "UK"})
    yield running
    running.stop()


# --- Messenger's webhook payloads (developers.facebook.com, Webhooks for Messenger) ---------

def now_ms() -> int:
    return int(time.time() * 1000)


def new_psid() -> str:
    return str(uuid.uuid4().int)[:16]


def page_delivery(*events) -> dict:
    return {"object": "page",
            "entry": [{"id": PAGE_ID, "time": now_ms(), "messaging": list(events)}]}


def text_event(psid: str, text: str) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": now_ms(),
            "message": {"mid": "m_" + uuid.uuid4().hex, "text": text}}


def quick_reply_event(psid: str, title: str, payload: str) -> dict:
    event = text_event(psid, title)
    event["message"]["quick_reply"] = {"payload": payload}
    return event


def postback_event(psid: str, title: str, payload: str) -> dict:
    return {"sender": {"id": psid}, "recipient": {"id": PAGE_ID}, "timestamp": now_ms(),
            "postback": {"mid": "m_" + uuid.uuid4().hex, "title": title, "payload": payload}}


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(assistant, payload: dict, headers=None) -> requests.Response:
    """POSTs a delivery as Messenger does; signed with the app secret unless headers say."""
    body = json.dumps(payload).encode()
    if headers is None:
        headers = {"X-Hub-Signature-256": sign(body)}
    return requests.post(f"{assistant.url}/webhooks/facebook/webhook", data=body, timeout=30,
                         headers={"Content-Type": "application/json", **headers})


# --- What the assistant stored and sent -----------------------------------------------------

def sent_to(graph, psid: str) -> list:
    return [r["body"]["message"] for r in graph.sent("/me/messages")
            if r["body"].get("recipient", {}).get("id") == psid and "message" in r["body"]]


def as_messenger(assistant, *texts: str) -> list:
    """What Messenger should get for the last of `texts`: the assistant's REST answer in a new
    conversation, shaped by messenger_messages()."""
    sender = "rest-" + uuid.uuid4().hex
    for text in texts:
        answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=60,
                               json={"sender": sender, "message": text}).json()
    return [message for reply in answer
            for message in messenger_messages(reply.get("text", ""), reply.get("buttons") or [])]


# --- The running assistant ------------------------------------------------------------------

def test_webhook_verification_handshake(assistant):
    url = f"{assistant.url}/webhooks/facebook/webhook"
    ok = requests.get(url, timeout=10, params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    for token in ("wrong", "", VERIFY_TOKEN[:-1]):
        refused = requests.get(url, timeout=10, params={
            "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
        assert refused.status_code == 403 and "1158201444" not in refused.text


def test_typed_question_is_answered_in_messages_that_fit(assistant, graph):
    psid = new_psid()
    answer = deliver(assistant, page_delivery(text_event(psid, "what is methadone")))
    assert answer.status_code == 200 and answer.text == "EVENT_RECEIVED"
    said = assistant.wait_turns(psid, 1)
    assert said[0]["text"] == "what is methadone" and said[0]["input_channel"] == "facebook"
    assert said[0]["parse_data"]["metadata"] == {"region": "UK"}
    messages = sent_to(graph, psid)
    assert messages and all(0 < len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert "Methadone is one of three medications" in messages[0]["text"]
    assert messages == as_messenger(assistant, "what is methadone")
    call = next(r for r in graph.sent("/me/messages") if r["body"]["recipient"]["id"] == psid)
    assert call["path"].startswith(API_VERSION + "/me/messages?")
    assert f"access_token={PAGE_TOKEN}" in call["path"] and "appsecret_proof=" in call["path"]
    assert call["body"]["messaging_type"] == "RESPONSE"


def test_crisis_reply_comes_first_and_whole_with_the_regions_number(assistant, graph):
    psid = new_psid()
    deliver(assistant, page_delivery(text_event(psid, "my friend overdosed and is not breathing")))
    assistant.wait_turns(psid, 1)
    first = sent_to(graph, psid)[0]
    assert first["text"].startswith("Call 999 now")
    assert first["text"] in emergency_texts("UK")  # the whole reply, in one message
    assert len(first["text"]) > 800


def test_the_default_region_holds_until_the_user_names_theirs(assistant, graph):
    psid = new_psid()
    texts = ["hi", "I live in Dublin", "my friend overdosed and is not breathing"]
    for turn, text in enumerate(texts, start=1):
        before = len(sent_to(graph, psid))
        deliver(assistant, page_delivery(text_event(psid, text)))
        said = assistant.wait_turns(psid, turn)
    # Sent while the conversation has no region; then the user's own words hold.
    assert [e["parse_data"]["metadata"] for e in said] == [{"region": "UK"}, {}, {}]
    crisis = sent_to(graph, psid)[before]["text"]
    assert crisis.startswith("Call 112 or 999 now") and crisis in emergency_texts("IE")


def test_five_buttons_become_quick_replies_and_a_tap_continues(assistant, graph):
    psid = new_psid()
    deliver(assistant, page_delivery(text_event(psid, "hi")))
    assistant.wait_turns(psid, 1)
    offer = sent_to(graph, psid)[-1]
    replies = offer["quick_replies"]
    assert [q["title"] for q in replies] == ["Treatment options", "Medications", "Withdrawal",
                                             "Helping someone", "Find help near me"]
    assert all(q["content_type"] == "text" and len(q["title"]) <= TITLE_LIMIT for q in replies)
    assert "Reply with a number" not in offer["text"]  # every title fits as it is

    graph.clear()
    medications = replies[1]
    deliver(assistant, page_delivery(quick_reply_event(psid, medications["title"],
                                                       medications["payload"])))
    said = assistant.wait_turns(psid, 2)
    assert said[-1]["text"] == medications["payload"] == "/ask_medications"
    assert sent_to(graph, psid) == as_messenger(assistant, "hi", "/ask_medications")


def test_long_titles_become_numbered_choices_answered_by_number_or_words(assistant, graph):
    psid = new_psid()
    deliver(assistant, page_delivery(text_event(psid, "relapse")))
    assistant.wait_turns(psid, 1)
    offer = sent_to(graph, psid)[-1]
    assert offer["text"].startswith("Sorry, I'm not sure I understood. Did you mean:")
    titles = [line.split(". ", 1)[1] for line in offer["text"].splitlines()
              if line[:1].isdigit() and ". " in line]
    assert len(titles) == 4 and max(len(t) for t in titles) > TITLE_LIMIT  # listed whole
    quick = offer["quick_replies"]
    assert len(quick) == 4 and all(len(q["title"]) <= TITLE_LIMIT for q in quick)
    assert [q["title"].split(". ", 1)[0] for q in quick] == ["1", "2", "3", "4"]

    graph.clear()
    deliver(assistant, page_delivery(text_event(psid, "2")))
    said = assistant.wait_turns(psid, 2)
    assert said[-1]["text"] == quick[1]["payload"]  # as if the second button was pressed
    assert sent_to(graph, psid) == as_messenger(assistant, "relapse", quick[1]["payload"])

    deliver(assistant, page_delivery(text_event(psid, "relapse")))
    assistant.wait_turns(psid, 3)
    deliver(assistant, page_delivery(text_event(psid, titles[2].lower())))
    assert assistant.wait_turns(psid, 4)[-1]["text"] == quick[2]["payload"]


def test_up_to_three_short_buttons_are_a_template_and_a_postback_continues(assistant, graph):
    psid = new_psid()
    deliver(assistant, page_delivery(text_event(psid, "delete my conversation")))
    assistant.wait_turns(psid, 1)
    template = sent_to(graph, psid)[-1]["attachment"]["payload"]
    assert template["template_type"] == "button" and len(template["text"]) <= TEMPLATE_TEXT_LIMIT
    buttons = template["buttons"]
    assert [b["title"] for b in buttons] == ["Yes, delete it", "No, keep it"]
    assert all(b["type"] == "postback" for b in buttons)

    graph.clear()
    keep = buttons[1]
    deliver(assistant, page_delivery(postback_event(psid, keep["title"], keep["payload"])))
    said = assistant.wait_turns(psid, 2)
    assert said[-1]["text"] == keep["payload"]
    assert sent_to(graph, psid) == as_messenger(assistant, "delete my conversation",
                                                keep["payload"])


def test_every_message_of_a_batched_delivery_is_answered(assistant, graph):
    first, second = new_psid(), new_psid()
    deliver(assistant, {"object": "page", "entry": [
        {"id": PAGE_ID, "time": now_ms(), "messaging": [text_event(first, "what is methadone")]},
        {"id": PAGE_ID, "time": now_ms(), "messaging": [text_event(second, "what is naloxone")]}]})
    assistant.wait_turns(first, 1)
    assistant.wait_turns(second, 1)
    assert sent_to(graph, first) and sent_to(graph, second)


def test_echoes_are_ignored_and_attachments_get_the_emergency_line(assistant, graph):
    echo, photo, control = new_psid(), new_psid(), new_psid()
    echoed = text_event(echo, "hi")
    echoed["message"].update(is_echo=True, app_id=1517776481860111)
    attachment = text_event(photo, "")
    attachment["message"] = {"mid": "m_" + uuid.uuid4().hex, "attachments": [
        {"type": "audio", "payload": {"url": "https://cdn.example/voice.mp4"}}]}
    deliver(assistant, page_delivery(echoed, attachment, text_event(control, "hi")))
    assistant.wait_turns(control, 1)
    assert sent_to(graph, echo) == [] and assistant.stored(echo) == []
    reply = sent_to(graph, photo)
    assert len(reply) == 1 and reply[0]["text"].endswith("Call 999 now.")
    assert assistant.stored(photo) == []


def test_unsigned_and_wrongly_signed_deliveries_are_refused_and_nothing_is_stored(assistant, graph):
    unsigned, wrong, sha1, tampered, control = (new_psid() for _ in range(5))
    assert deliver(assistant, page_delivery(text_event(unsigned, "hi")), {}).status_code == 401
    body = json.dumps(page_delivery(text_event(wrong, "hi"))).encode()
    assert deliver(assistant, json.loads(body), {
        "X-Hub-Signature-256": sign(body, "not-the-app-secret")}).status_code == 403
    # Rasa accepts the SHA-1 header alone; Meta's SHA-256 one is required here.
    payload = page_delivery(text_event(sha1, "hi"))
    body = json.dumps(payload).encode()
    sha1_signature = "sha1=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert deliver(assistant, payload, {"X-Hub-Signature": sha1_signature}).status_code == 401
    signed = sign(json.dumps(page_delivery(text_event(control, "hi"))).encode())
    assert deliver(assistant, page_delivery(text_event(tampered, "hi")),
                   {"X-Hub-Signature-256": signed}).status_code == 403

    assert deliver(assistant, page_delivery(text_event(control, "hi"))).status_code == 200
    assistant.wait_turns(control, 1)  # handled after the refused ones arrived
    for refused in (unsigned, wrong, sha1, tampered):
        assert assistant.stored(refused) == []
        assert sent_to(graph, refused) == []


# --- Shaping and sending, without the assistant ---------------------------------------------

BUTTONS = [{"title": f"Choice {i}", "payload": f"/choice_{i}"} for i in range(1, 16)]


def test_signature_check():
    body = b'{"object":"page"}'
    assert valid_signature("s", body, sign(body, "s"))
    assert not valid_signature("s", body, sign(body, "t"))
    assert not valid_signature("s", body, sign(body + b" ", "s"))
    assert not valid_signature("s", body, None)
    assert not valid_signature("s", body, "sha256=é")


def test_long_text_is_split_at_sentences_with_nothing_lost():
    sentence = "Naloxone can reverse an opioid overdose within minutes. "
    text = sentence * 100
    messages = messenger_messages(text)
    assert len(messages) == 3 and all(len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert all(m["text"].endswith("minutes.") for m in messages)
    assert " ".join(m["text"] for m in messages) == text.strip()


def test_buttons_as_template_quick_replies_or_numbered_choices():
    template = messenger_messages("Keep it?", BUTTONS[:3])[0]["attachment"]["payload"]
    assert template["text"] == "Keep it?" and template["buttons"][2] == {
        "type": "postback", "title": "Choice 3", "payload": "/choice_3"}
    # Too long a text for a template: text with quick replies instead.
    long_question = "Is this the right one? " * 40
    shaped = messenger_messages(long_question, BUTTONS[:2])
    assert "quick_replies" in shaped[-1] and len(shaped[-1]["text"]) <= TEXT_LIMIT
    thirteen = messenger_messages("Pick one.", BUTTONS[:13])[-1]
    assert [q["payload"] for q in thirteen["quick_replies"]] == [b["payload"] for b in BUTTONS[:13]]
    assert thirteen["text"] == "Pick one."
    # More than 13: every one numbered in the text, none dropped.
    fifteen = messenger_messages("Pick one.", BUTTONS)
    assert "quick_replies" not in fifteen[-1]
    assert all(f"{i}. Choice {i}" in fifteen[-1]["text"] for i in range(1, 16))
    assert len(BUTTONS) > QUICK_REPLIES


def test_send_api_posts_every_part_in_order_and_retries_a_server_error():
    statuses = [500, 200, 400, 200]
    fake = FakePlatform(lambda method, path, body: (statuses.pop(0) if statuses else 200, {}))
    try:
        api = SendAPI(fake.url + API_VERSION, "token", "secret")
        output = MessengerOutput(api)
        text = " ".join(f"Sentence number {i} is here." for i in range(200))
        asyncio.run(output.send_text_message("psid-1", text))
        calls = fake.sent("/me/messages")
        # part 1: 500 then 200; part 2: 400, not retried (logged); part 3 and on: 200.
        parts = [c["body"]["message"]["text"] for c in calls]
        assert parts[0] == parts[1] and parts[2] != parts[1]
        assert len(parts) == len(messenger_messages(text)) + 1
        assert " ".join(dict.fromkeys(parts)) == text
    finally:
        fake.close()
