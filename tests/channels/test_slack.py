"""Slack (channels/slack.py): the running assistant (scripts/run.sh) gets Slack's own Events API
and interactivity payloads, signed as Slack signs them, and its Web API calls land on a fake
Slack API on loopback. No SLACK_DEFAULT_REGION here, so emergency replies are the US ones."""
import asyncio
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode

import pytest
import requests

from channels.slack import (BUTTON_TEXT_LIMIT, BUTTONS_PER_BLOCK, SECTION_LIMIT, SlackOutput,
                            mrkdwn, slack_messages)
from channels.webhook_support import default_region
from conftest import RunningAssistant, emergency_texts
from fake_platform import FakePlatform

BOT_TOKEN = "xoxb-" + uuid.uuid4().hex
SIGNING_SECRET = uuid.uuid4().hex
TEAM, APP, BOT_USER, BOT_ID = "T0WAYPOINT", "A0WAYPOINT", "U0WAYBOT", "B0WAYBOT"


@pytest.fixture(scope="module")
def slack_api():
    fake = FakePlatform(lambda method, path, body: (
        200, {"ok": True, "channel": (body or {}).get("channel"), "ts": f"{time.time():.6f}"}))
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def assistant(slack_api, tmp_path_factory):
    running = RunningAssistant(tmp_path_factory.mktemp("slack"), env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.url + "/api/", "SLACK_DEFAULT_REGION": ""})
    yield running
    running.stop()


# --- Slack's payloads (api.slack.com: Events API, message.im, block_actions) ----------------

def new_user() -> tuple:
    """A Slack user id and the id of their direct-message channel with the bot."""
    suffix = uuid.uuid4().hex[:9].upper()
    return "U" + suffix, "D" + suffix


def message_event(user: str, channel: str, text: str, event_id: str = None, **event) -> dict:
    ts = f"{time.time():.6f}"
    return {
        "token": "ZZZZZZWSxiZZZ2yIvs3peJ", "team_id": TEAM, "api_app_id": APP,
        "event": {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                  "event_ts": ts, "channel_type": "im", "client_msg_id": str(uuid.uuid4()),
                  **event},
        "type": "event_callback", "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
    }


def button_click(user: str, channel: str, posted: dict, index: int) -> dict:
    """The block_actions payload of a click on the index-th button of a message we posted."""
    blocks = posted["blocks"]
    button = [e for b in blocks if b["type"] == "actions" for e in b["elements"]][index]
    ts = f"{time.time():.6f}"
    return {
        "type": "block_actions", "user": {"id": user, "username": "alex", "name": "alex",
                                          "team_id": TEAM},
        "api_app_id": APP, "token": "ZZZZZZWSxiZZZ2yIvs3peJ",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": "1234567890123.1234567890123.abcdef", "team": {"id": TEAM, "domain": "way"},
        "enterprise": None, "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                    "text": posted["text"], "blocks": blocks},
        "state": {"values": {}}, "response_url": "https://hooks.slack.com/actions/T0/1/x",
        "actions": [{"action_id": button["action_id"], "block_id": "b1", "text": button["text"],
                     "value": button["value"], "type": "button", "action_ts": ts}],
    }


def signed(body: bytes, content_type: str, timestamp: int = None,
           secret: str = SIGNING_SECRET) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={digest}"}


def post(assistant, body: bytes, headers: dict) -> requests.Response:
    return requests.post(f"{assistant.url}/webhooks/slack/webhook", data=body, headers=headers,
                         timeout=30)


def send_event(assistant, payload: dict, **extra_headers) -> requests.Response:
    body = json.dumps(payload).encode()
    return post(assistant, body, {**signed(body, "application/json"), **extra_headers})


def send_click(assistant, payload: dict) -> requests.Response:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return post(assistant, body, signed(body, "application/x-www-form-urlencoded"))


# --- What the assistant stored and sent -----------------------------------------------------

def posted_to(slack_api, channel: str) -> list:
    return [r["body"] for r in slack_api.sent("/api/chat.postMessage")
            if r["body"].get("channel") == channel]


def as_slack(assistant, *texts: str) -> list:
    """(text, blocks) Slack should get for the last of `texts`: the assistant's REST answer in
    a new conversation, shaped by slack_messages()."""
    sender = "rest-" + uuid.uuid4().hex
    for text in texts:
        answer = requests.post(f"{assistant.url}/webhooks/rest/webhook", timeout=60,
                               json={"sender": sender, "message": text}).json()
    return [(m["text"], m["blocks"]) for reply in answer
            for m in slack_messages(reply.get("text", ""), reply.get("buttons") or [])]


def shaped(posts: list) -> list:
    return [(p["text"], p["blocks"]) for p in posts]


# --- The running assistant ------------------------------------------------------------------

def test_url_verification_challenge_is_answered_only_when_signed(assistant):
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    body = json.dumps({"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
                       "challenge": challenge}).encode()
    answer = post(assistant, body, signed(body, "application/json"))
    assert answer.status_code == 200 and answer.json() == {"challenge": challenge}
    assert post(assistant, body, {"Content-Type": "application/json"}).status_code == 401


def test_direct_message_is_answered_in_mrkdwn_with_links(assistant, slack_api):
    user, channel = new_user()
    answer = send_event(assistant, message_event(user, channel, "find help near me"))
    assert answer.status_code == 200
    said = assistant.wait_turns(user, 1)
    assert said[0]["text"] == "find help near me" and said[0]["input_channel"] == "slack"
    assert "region" not in said[0]["parse_data"]["metadata"]  # no default set: the assistant's
    posts = posted_to(slack_api, channel)
    assert posts and shaped(posts) == as_slack(assistant, "find help near me")
    text = " ".join(p["text"] for p in posts)
    assert "<https://FindTreatment.gov|FindTreatment.gov>" in text
    for p in posts:
        section = p["blocks"][0]
        assert section == {"type": "section", "text": {"type": "mrkdwn", "text": p["text"]}}
        assert len(p["text"]) <= SECTION_LIMIT and "as_user" not in p
    call = slack_api.sent("/api/chat.postMessage")[-1]
    assert call["headers"]["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_crisis_reply_comes_first_and_whole(assistant, slack_api):
    user, channel = new_user()
    send_event(assistant, message_event(user, channel, "my friend overdosed and is not breathing"))
    assistant.wait_turns(user, 1)
    first = posted_to(slack_api, channel)[0]
    assert first["text"].startswith("Call 911 now")
    assert first["text"] in {mrkdwn(text) for text in emergency_texts("US")}  # whole, one post
    assert first["blocks"][0]["text"]["text"] == first["text"]


def test_a_voice_clip_without_text_gets_the_emergency_call(assistant, slack_api):
    """A voice clip or a picture may be a call for help: never silence."""
    user, channel = new_user()
    clip = message_event(user, channel, "", subtype="file_share", files=[
        {"id": "F0VOICE", "name": "audio_message.webm", "mimetype": "audio/webm",
         "subtype": "slack_audio"}])
    assert send_event(assistant, clip).status_code == 200
    deadline = time.monotonic() + 30
    while not posted_to(slack_api, channel) and time.monotonic() < deadline:
        time.sleep(0.2)
    [note] = posted_to(slack_api, channel)
    assert "type" in note["text"] and "Call 911 now" in note["text"]
    assert assistant.stored(user) == []


def test_six_buttons_are_all_shown_and_a_click_continues(assistant, slack_api):
    user, channel = new_user()
    send_event(assistant, message_event(user, channel, "what is it"))
    assistant.wait_turns(user, 1)
    offer = posted_to(slack_api, channel)[-1]
    buttons = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Methadone", "Buprenorphine", "Naltrexone",
                                                    "Inpatient care", "Outpatient care", "CBT"]
    assert len({b["action_id"] for b in buttons}) == 6

    slack_api.clear()
    assert send_click(assistant, button_click(user, channel, offer, 5)).status_code == 200
    said = assistant.wait_turns(user, 2)
    assert said[-1]["text"] == buttons[5]["value"]
    assert shaped(posted_to(slack_api, channel)) == as_slack(assistant, "what is it",
                                                             buttons[5]["value"])


def test_a_typed_number_or_the_options_words_pick_a_button(assistant, slack_api):
    user, channel = new_user()
    send_event(assistant, message_event(user, channel, "what is it"))
    assistant.wait_turns(user, 1)
    buttons = [e for b in posted_to(slack_api, channel)[-1]["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    send_event(assistant, message_event(user, channel, "2"))
    assert assistant.wait_turns(user, 2)[-1]["text"] == buttons[1]["value"]
    assert "Buprenorphine" in posted_to(slack_api, channel)[-1]["text"]

    send_event(assistant, message_event(user, channel, "relapse"))
    assistant.wait_turns(user, 3)
    offered = [e for b in posted_to(slack_api, channel)[-1]["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    send_event(assistant, message_event(user, channel, offered[2]["text"]["text"].upper()))
    assert assistant.wait_turns(user, 4)[-1]["text"] == offered[2]["value"]


def test_retries_and_the_bots_own_messages_are_not_answered(assistant, slack_api):
    user, channel = new_user()
    first = message_event(user, channel, "what is methadone")
    send_event(assistant, first)
    assistant.wait_turns(user, 1)
    answered = len(posted_to(slack_api, channel))
    # Slack's retry of the same event: acknowledged, not answered again.
    retry = send_event(assistant, first, **{"X-Slack-Retry-Num": "1",
                                            "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200 and retry.headers.get("X-Slack-No-Retry") == "1"
    # The bot's own reply, as Slack echoes it to a message.im subscription.
    own = message_event(BOT_USER, channel, "Methadone is one of three medications",
                        bot_id=BOT_ID, app_id=APP)
    assert send_event(assistant, own).status_code == 200
    edit = message_event(user, channel, "what is naloxone", subtype="message_changed")
    assert send_event(assistant, edit).status_code == 200
    # A retry of an event that never arrived (the server was down) is answered once.
    missed = message_event(user, channel, "what is naltrexone")
    send_event(assistant, missed,
               **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"})
    assistant.wait_turns(user, 2)
    time.sleep(2)  # time for a wrongly answered retry, bot message or edit to be stored
    assert [e["text"] for e in assistant.wait_turns(user, 2)] == ["what is methadone",
                                                                  "what is naltrexone"]
    assert assistant.stored(BOT_USER) == []
    posts = posted_to(slack_api, channel)
    assert len(posts) > answered and "Naltrexone" in posts[answered]["text"]
    assert not any("Methadone is one of" in p["text"] for p in posts[answered:])


def test_unsigned_wrongly_signed_and_stale_requests_are_refused_and_nothing_is_stored(
        assistant, slack_api):
    refused_users = []

    def event_body():
        user, channel = new_user()
        refused_users.append((user, channel))
        return json.dumps(message_event(user, channel, "hi")).encode()

    body = event_body()
    assert post(assistant, body, {"Content-Type": "application/json"}).status_code == 401
    body = event_body()
    wrong = signed(body, "application/json", secret="wrong")
    assert post(assistant, body, wrong).status_code == 403
    body = event_body()  # correctly signed six minutes ago: a replay
    stale = signed(body, "application/json", timestamp=int(time.time()) - 360)
    assert post(assistant, body, stale).status_code == 403
    body = event_body()  # another request's valid signature
    other = signed(json.dumps(message_event("U0OTHER", "D0OTHER", "hi")).encode(),
                   "application/json")
    assert post(assistant, body, other).status_code == 403
    user, channel = new_user()
    refused_users.append((user, channel))
    click = urlencode({"payload": json.dumps(button_click(user, channel, {
        "text": "x", "blocks": [{"type": "actions", "elements": [{
            "type": "button", "action_id": "choice-1", "value": "/greet",
            "text": {"type": "plain_text", "text": "Hi"}}]}]}, 0))}).encode()
    assert post(assistant, click, signed(click, "application/x-www-form-urlencoded",
                                         secret="wrong")).status_code == 403

    control, control_channel = new_user()
    send_event(assistant, message_event(control, control_channel, "hi"))
    assistant.wait_turns(control, 1)  # handled after the refused ones arrived
    for user, channel in refused_users:
        assert assistant.stored(user) == []
        assert posted_to(slack_api, channel) == []


# --- Shaping and sending, without the assistant ---------------------------------------------

def test_mrkdwn_escapes_and_links():
    assert mrkdwn("Search FindTreatment.gov. Or call 988 & ask <now>.") == (
        "Search <https://FindTreatment.gov|FindTreatment.gov>. Or call 988 &amp; ask &lt;now&gt;.")
    assert mrkdwn("See https://www.samhsa.gov/find-help, or mail help@samhsa.gov") == (
        "See <https://www.samhsa.gov/find-help|https://www.samhsa.gov/find-help>, "
        "or mail help@samhsa.gov")
    assert mrkdwn("e.g. 2.5 mg, U.S. states") == "e.g. 2.5 mg, U.S. states"


def test_long_text_is_split_under_the_section_limit_with_nothing_lost():
    text = "Buprenorphine is a partial agonist that eases withdrawal and cravings. " * 100
    messages = slack_messages(text)
    assert len(messages) == 3
    assert all(len(m["text"]) <= SECTION_LIMIT and m["blocks"][0]["text"]["text"] == m["text"]
               for m in messages)
    assert " ".join(m["text"] for m in messages) == text.strip()


def test_every_button_is_shown_and_long_titles_are_also_numbered():
    buttons = [{"title": f"Option {i}", "payload": f"/option_{i}"} for i in range(30)]
    blocks = slack_messages("Pick one.", buttons)[-1]["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [BUTTONS_PER_BLOCK, 5]
    assert [e["value"] for a in actions for e in a["elements"]] == [b["payload"] for b in buttons]
    long_title = "What the research says about staying on medication for a year or longer, and why"
    message = slack_messages("Pick one.", [{"title": long_title, "payload": "/x"}])[-1]
    element = message["blocks"][-1]["elements"][0]
    assert len(element["text"]["text"]) <= BUTTON_TEXT_LIMIT and element["value"] == "/x"
    assert f"1. {long_title}" in message["text"]
    short = slack_messages("Pick one.", [{"title": "Yes", "payload": "/affirm"}])
    assert short[0]["text"] == "Pick one."


def test_default_region_variable(monkeypatch):
    monkeypatch.setenv("SLACK_DEFAULT_REGION", " gb ")
    assert default_region("SLACK_DEFAULT_REGION") == "UK"
    monkeypatch.setenv("SLACK_DEFAULT_REGION", "")
    assert default_region("SLACK_DEFAULT_REGION") is None
    monkeypatch.setenv("SLACK_DEFAULT_REGION", "England")  # stops start-up, never a US default
    with pytest.raises(ValueError):
        default_region("SLACK_DEFAULT_REGION")


def test_output_posts_every_part_in_order_and_goes_on_after_an_error():
    answers = [{"ok": False, "error": "internal_error"}]
    fake = FakePlatform(lambda method, path, body: (
        200, answers.pop(0) if answers else {"ok": True}))
    try:
        output = SlackOutput("xoxb-test", fake.url + "/api/", "D0CHANNEL")
        text = " ".join(f"Sentence number {i} is here." for i in range(400))
        asyncio.run(output.send_text_message("U0USER", text))
        calls = fake.sent("/api/chat.postMessage")
        parts = [c["body"]["text"] for c in calls]
        assert len(parts) == len(slack_messages(text)) > 1
        assert " ".join(parts) == text and all(c["body"]["channel"] == "D0CHANNEL" for c in calls)
    finally:
        fake.close()
