"""Telegram (channels/telegram.py): the real assistant started by run.sh with the channel's
variables, Telegram's Bot API replaced by a fake on loopback, and Update JSON as Telegram posts it
(https://core.telegram.org/bots/api#update)."""
import asyncio
import itertools
import json
import secrets
import sqlite3

import pytest
import requests
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.telegram import (CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, SECRET_HEADER,
                               WaypointTelegramOutput, callback_data, message_parts, pressed,
                               region_from_language)
from channels.webhook_support import RecentIds, to_the_end, typed_only_reply
from conftest import RunningAssistant
from fake_platform import FakePlatform

TOKEN = "123456789:AAE-waypoint_test_token_0123456789ab"
SECRET = "waypoint-" + secrets.token_hex(16)
PUBLIC_URL = "https://waypoint.example.org/webhooks/telegram/webhook"
CRISIS = "my friend overdosed and isn't breathing"
ids = itertools.count(700_000_000)


def bot_api(method, path, body):
    """Answers as the Bot API does: sendMessage returns the Message sent."""
    if path.endswith("/sendMessage"):
        chat = {"id": int(body["chat_id"]), "type": "private"}
        return 200, {"ok": True, "result": {"message_id": next(ids) % 100_000, "date": 1733300000,
                                            "chat": chat, "text": body.get("text", "")}}
    return 200, {"ok": True, "result": True}


@pytest.fixture(scope="module")
def telegram(tmp_path_factory):
    fake = FakePlatform(bot_api)
    data = tmp_path_factory.mktemp("telegram")
    assistant = RunningAssistant(data, env={
        "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": PUBLIC_URL,
        "TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_API_URL": fake.url})
    assistant.db = data / "conversations.db"
    yield fake, assistant
    assistant.stop()
    fake.close()


def user(chat_id, language="en"):
    return {"id": chat_id, "is_bot": False, "first_name": "Sam", "language_code": language}


def text_update(chat_id, text, language="en", update_id=None):
    return {"update_id": update_id or next(ids), "message": {
        "message_id": next(ids) % 100_000, "from": user(chat_id, language),
        "chat": {"id": chat_id, "first_name": "Sam", "type": "private"},
        "date": 1733300000, "text": text}}


def button_update(chat_id, data, keyboard_message):
    return {"update_id": next(ids), "callback_query": {
        "id": str(next(ids)), "from": user(chat_id), "chat_instance": "-4242",
        "message": keyboard_message, "data": data}}


def post(assistant, update, secret=SECRET):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return requests.post(f"{assistant.url}/webhooks/telegram/webhook", json=update,
                         headers=headers, timeout=60)


def sent_to(fake, chat_id):
    return [r["body"] for r in fake.sent("/sendMessage") if r["body"]["chat_id"] == str(chat_id)]


def stored_rows(assistant, sender_id):
    with sqlite3.connect(assistant.db) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                                  (str(sender_id),)).fetchone()[0]


def new_chat():
    return next(ids)


def test_the_webhook_is_registered_with_the_secret_token_at_start_up(telegram):
    fake, _ = telegram
    call = fake.wait_for("/setWebhook")[0]
    assert call["path"] == f"/bot{TOKEN}/setWebhook"
    assert call["body"]["url"] == PUBLIC_URL
    assert call["body"]["secret_token"] == SECRET
    assert set(json.loads(call["body"]["allowed_updates"])) >= {"message", "callback_query"}
    assert not fake.sent("/getMe")  # Rasa's check called getMe on every update


def test_a_question_is_answered_in_plain_text(telegram):
    fake, assistant = telegram
    chat = new_chat()
    assert post(assistant, text_update(chat, "what is methadone")).status_code == 200
    [reply] = sent_to(fake, chat)
    assert reply["text"].startswith("Methadone is one of three medications")
    assert reply["text"].endswith("Source: NIDA, Heroin Research Report (2021).")
    assert "parse_mode" not in reply and len(reply["text"]) <= MESSAGE_LIMIT
    assert stored_rows(assistant, chat) > 0


@pytest.mark.parametrize("language, number", [("en-GB", "999"), ("en", "911")])
def test_the_crisis_reply_comes_first_and_whole(telegram, language, number):
    fake, assistant = telegram
    chat = new_chat()
    assert post(assistant, text_update(chat, CRISIS, language)).status_code == 200
    first = sent_to(fake, chat)[0]["text"]
    assert first.startswith(f"Call {number} now.")
    assert first.endswith("Is the person breathing?")  # one message: the whole reply


def test_buttons_are_an_inline_keyboard_and_a_press_continues_the_conversation(telegram):
    fake, assistant = telegram
    chat = new_chat()
    assert post(assistant, text_update(chat, "/start")).status_code == 200
    [greeting] = sent_to(fake, chat)
    assert greeting["text"].startswith("Hi, I'm Waypoint")
    keyboard = json.loads(greeting["reply_markup"])["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert titles == ["Treatment options", "Medications", "Withdrawal", "Helping someone",
                      "Find help near me"]
    assert all(len(row[0]["callback_data"].encode()) <= CALLBACK_DATA_LIMIT for row in keyboard)

    message = {"message_id": 1, "date": 1733300000, "text": greeting["text"],
               "chat": {"id": chat, "type": "private"},
               "reply_markup": {"inline_keyboard": keyboard}}
    press = button_update(chat, keyboard[1][0]["callback_data"], message)
    assert post(assistant, press).status_code == 200
    answered = [r["body"] for r in fake.sent("/answerCallbackQuery")]
    assert {"callback_query_id": press["callback_query"]["id"]} in answered
    assert sent_to(fake, chat)[1]["text"].startswith("The FDA has approved three medications")


def test_a_typed_number_or_the_options_words_press_the_button(telegram):
    fake, assistant = telegram
    chat = new_chat()
    post(assistant, text_update(chat, "hi"))
    post(assistant, text_update(chat, "2"))
    post(assistant, text_update(chat, "hi"))
    post(assistant, text_update(chat, "helping someone"))
    replies = [reply["text"] for reply in sent_to(fake, chat)]
    assert replies[1].startswith("The FDA has approved three medications")
    assert replies[3].startswith("You can help by learning about treatment")


def test_group_chats_are_not_answered_or_stored(telegram):
    """In a group every member would share one conversation, its context and its deletion."""
    fake, assistant = telegram
    group = -new_chat()
    update = text_update(group, "what is methadone")
    update["message"]["chat"] = {"id": group, "title": "Family", "type": "group"}
    assert post(assistant, update).status_code == 200
    private = new_chat()
    assert post(assistant, text_update(private, "what is methadone")).status_code == 200
    assert sent_to(fake, private)  # answered: the group's update was handled before it
    assert sent_to(fake, group) == [] and stored_rows(assistant, str(group)) == 0


def test_a_photo_without_text_gets_a_notice_not_silence(telegram):
    fake, assistant = telegram
    chat = new_chat()
    update = text_update(chat, "")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90,
                                   "height": 90}]
    assert post(assistant, update).status_code == 200
    # A voice note or a photo may be a call for help: the notice carries the emergency call.
    assert [r["text"] for r in sent_to(fake, chat)] == [typed_only_reply("US")]
    assert "Call 911 now" in typed_only_reply("US")


@pytest.mark.parametrize("secret, status", [(None, 401), ("", 401), ("wrong", 403),
                                            (SECRET[:-1] + "x", 403)])
def test_updates_without_the_secret_token_are_refused_and_nothing_is_stored(
        telegram, secret, status):
    fake, assistant = telegram
    chat = new_chat()
    assert post(assistant, text_update(chat, CRISIS), secret=secret).status_code == status
    assert stored_rows(assistant, chat) == 0
    assert sent_to(fake, chat) == []


def test_a_replayed_update_id_is_skipped_and_nothing_is_stored(telegram):
    """Acknowledged with 200, not 403: Telegram re-delivers every update not answered 2xx."""
    fake, assistant = telegram
    first, second = new_chat(), new_chat()
    update = text_update(first, "hi")
    assert post(assistant, update).status_code == 200
    rows = stored_rows(assistant, first)
    assert post(assistant, update).status_code == 200
    replay = text_update(second, CRISIS, update_id=update["update_id"])
    assert post(assistant, replay).status_code == 200
    assert stored_rows(assistant, first) == rows and stored_rows(assistant, second) == 0
    assert len(sent_to(fake, first)) == 1 and sent_to(fake, second) == []


def test_long_replies_are_cut_under_the_limit_and_nothing_is_lost():
    sentences = [f"Sentence {i} says something about treatment and recovery." for i in range(300)]
    text = "Call 911 now. " + " ".join(sentences)
    fake = FakePlatform(bot_api)
    try:
        bot = WaypointTelegramOutput(TOKEN, fake.url)

        async def send():
            await bot.send_text_message("42", text)
            await bot.session.close()

        asyncio.run(send())
        parts = [r["body"]["text"] for r in fake.sent("/sendMessage")]
    finally:
        fake.close()
    assert len(parts) == 5 and all(len(part) <= MESSAGE_LIMIT for part in parts)
    assert parts[0].startswith("Call 911 now.") and all(p.endswith(".") for p in parts)
    assert " ".join(parts) == text
    assert all(len(p) <= MESSAGE_LIMIT // 2 for p in message_parts("🚑 " + text))


def test_flood_control_is_waited_out_not_dropped():
    floods = iter([(429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 1},
                          "description": "Too Many Requests: retry after 1"})])
    fake = FakePlatform(lambda method, path, body: next(floods, None)
                        or bot_api(method, path, body))
    try:
        bot = WaypointTelegramOutput(TOKEN, fake.url)

        async def send():
            await bot.send_text_message("42", "Call 911 now.")
            await bot.session.close()

        asyncio.run(send())
        texts = [r["body"]["text"] for r in fake.sent("/sendMessage")]
    finally:
        fake.close()
    assert texts == ["Call 911 now.", "Call 911 now."]  # refused once, then sent


def test_long_payloads_travel_as_a_short_key_and_come_back():
    long_payload = '/ask_who_fits{"subject": "community_reinforcement", "detail": "yes"}'
    short_payload = "/ask_medications"
    assert callback_data(short_payload) == short_payload
    key = callback_data(long_payload)
    assert len(long_payload.encode()) > CALLBACK_DATA_LIMIT >= len(key.encode())

    buttons = [{"title": "Who it suits", "payload": long_payload}]
    tracker = DialogueStateTracker.from_events("42", [BotUttered("More?", {"buttons": buttons})])
    assert pressed({"data": key}, tracker) == long_payload
    assert pressed({"data": short_payload}, None) == short_payload
    # Not in the stored conversation (an old session): the button's words, as if typed.
    message = {"reply_markup": {"inline_keyboard": [[{"text": "Who it suits",
                                                      "callback_data": key}]]}}
    assert pressed({"data": key, "message": message}, None) == "Who it suits"
    assert pressed({"data": key}, None) is None


def test_region_comes_only_from_a_region_subtag():
    assert region_from_language("en-GB") == "UK"
    assert region_from_language("en_ie") == "IE"
    assert region_from_language("pt-br") == "OTHER"
    assert region_from_language("de-AT") == "EU"
    for code in ("en", "zh-hans", "es-419", "", None):
        assert region_from_language(code) is None


def test_an_answer_is_finished_when_the_platform_hangs_up():
    async def scenario():
        answered = asyncio.Event()

        async def answer():
            await asyncio.sleep(0.2)
            answered.set()

        handler = asyncio.ensure_future(to_the_end(answer()))
        await asyncio.sleep(0.05)
        handler.cancel()  # what Sanic does when the platform's request times out
        with pytest.raises(asyncio.CancelledError):
            await handler
        await asyncio.wait_for(answered.wait(), 2)

    asyncio.run(scenario())


def test_recent_ids_are_remembered_up_to_a_bound():
    seen = RecentIds(size=2)
    assert seen.add(1) and seen.add(2) and not seen.add(1)
    assert seen.add(3) and seen.add(1)  # 1, the oldest, had been forgotten
    seen.forget(3)
    assert seen.add(3) and not seen.add(1)
