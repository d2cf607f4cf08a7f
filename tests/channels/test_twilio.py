"""Twilio SMS and WhatsApp (channels/twilio.py): the real assistant started by run.sh with the
channel's variables, Twilio's REST API replaced by a fake on loopback, and the form-encoded
webhook Twilio posts (https://www.twilio.com/docs/messaging/guides/webhook-request), signed as
Twilio signs it."""
import asyncio
import re
import secrets
import sqlite3

import pytest
import requests
import yaml
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.twilio import (BODY_LIMIT, TwilioReplies, gsm7, is_gsm7, message_bodies,
                             region_from_number, sms_segments)
from conftest import PROJECT, RunningAssistant
from fake_platform import FakePlatform
from channels.webhook_support import typed_only_reply

ACCOUNT_SID = "AC" + secrets.token_hex(16)
AUTH_TOKEN = secrets.token_hex(16)
PUBLIC_URL = "https://waypoint.example.org/webhooks/twilio/webhook"  # behind a proxy
SMS_NUMBER = "+15017122661"
WHATSAPP_SENDER = "whatsapp:+14155238886"
CRISIS = "my friend overdosed and isn't breathing"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


def twilio_api(method, path, body):
    """Answers Message creation as Twilio does (201 and the Message resource)."""
    if path == MESSAGES and method == "POST":
        return 201, {"sid": "SM" + secrets.token_hex(16), "account_sid": ACCOUNT_SID,
                     "to": body["To"], "from": body["From"], "body": body["Body"],
                     "status": "queued", "num_segments": "1", "direction": "outbound-api",
                     "api_version": "2010-04-01", "date_created": "Wed, 04 Dec 2024 15:00:00 +0000",
                     "uri": f"{MESSAGES[:-5]}/SM0.json"}
    return 404, {"code": 20404, "message": "not found", "status": 404}


@pytest.fixture(scope="module")
def twilio(tmp_path_factory):
    fake = FakePlatform(twilio_api)
    data = tmp_path_factory.mktemp("twilio")
    assistant = RunningAssistant(data, env={
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WEBHOOK_URL": PUBLIC_URL, "TWILIO_API_URL": fake.url})
    assistant.db = data / "conversations.db"
    yield fake, assistant
    assistant.stop()
    fake.close()


def numbers():
    return f"{secrets.randbelow(10**7):07d}"


def sms(sender, body, country=""):
    """An inbound SMS with the fields Twilio sends, blank ones included."""
    sid = "SM" + secrets.token_hex(16)
    return {"ToCountry": "US", "ToState": "WA", "SmsMessageSid": sid, "NumMedia": "0",
            "ToCity": "", "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received",
            "FromCity": "", "Body": body, "FromCountry": country, "To": SMS_NUMBER, "ToZip": "",
            "NumSegments": "1", "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
            "ApiVersion": "2010-04-01"}


def whatsapp(sender, body):
    sid = "SM" + secrets.token_hex(16)
    return {"SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Sam", "MessageType": "text",
            "SmsSid": sid, "WaId": sender.split("+")[1], "SmsStatus": "received", "Body": body,
            "To": WHATSAPP_SENDER, "NumSegments": "1", "ReferralNumMedia": "0",
            "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender,
            "ApiVersion": "2010-04-01"}


def sign(form, url=PUBLIC_URL, token=AUTH_TOKEN):
    return RequestValidator(token).compute_signature(url, form)


def post(assistant, form, signature="sign"):
    if signature == "sign":
        signature = sign(form)
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return requests.post(f"{assistant.url}/webhooks/twilio/webhook", data=form,
                         headers=headers, timeout=60)


def sent_to(fake, address):
    return [r["body"] for r in fake.sent(MESSAGES) if r["body"]["To"] == address]


def stored_rows(assistant, sender_id):
    with sqlite3.connect(assistant.db) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                                  (sender_id,)).fetchone()[0]


def test_an_sms_is_answered_from_the_number_written_to(twilio):
    fake, assistant = twilio
    user = "+1206" + numbers()
    answer = post(assistant, sms(user, "what is methadone", "US"))
    assert answer.status_code == 200 and "<Response>" in answer.text
    [reply] = sent_to(fake, user)
    assert reply["From"] == SMS_NUMBER
    assert reply["Body"].startswith("Methadone is one of three medications")
    assert reply["Body"].endswith("Source: NIDA, Heroin Research Report (2021).")
    assert len(reply["Body"]) <= BODY_LIMIT and is_gsm7(reply["Body"])
    assert stored_rows(assistant, user) > 0


def test_buttons_are_numbered_choices_answered_by_number_or_words(twilio):
    fake, assistant = twilio
    user = "+1206" + numbers()
    post(assistant, sms(user, "hi"))
    greeting = sent_to(fake, user)[0]["Body"]
    assert greeting.startswith("Hi, I'm Waypoint")
    assert greeting.endswith("Reply with a number:\n1. Treatment options\n2. Medications\n"
                             "3. Withdrawal\n4. Helping someone\n5. Find help near me")
    post(assistant, sms(user, "2"))
    medications = sent_to(fake, user)[1]["Body"]
    assert medications.startswith("The FDA has approved three medications")
    assert "\n- Methadone" in medications and is_gsm7(medications)  # "•" made GSM-7
    post(assistant, sms(user, "hi"))
    post(assistant, sms(user, "Helping someone"))
    assert sent_to(fake, user)[3]["Body"].startswith("You can help by learning about treatment")


@pytest.mark.parametrize("user, country, number", [
    ("+447700900" + numbers()[:3], "GB", "999"),
    ("+353851" + numbers()[:6], "", "112 or 999"),
    ("+1206" + numbers(), "US", "911"),
])
def test_the_crisis_sms_comes_first_and_whole_with_the_number_in_its_first_segment(
        twilio, user, country, number):
    fake, assistant = twilio
    assert post(assistant, sms(user, CRISIS, country)).status_code == 200
    first = sent_to(fake, user)[0]["Body"]
    assert first.startswith(f"Call {number} now.")
    assert first.endswith("Is the person breathing?")  # one message: the whole reply
    assert sms_segments(first)[0].startswith(f"Call {number} now.")
    assert is_gsm7(first) and len(sms_segments(first)) <= 7


def test_the_crisis_reply_on_whatsapp_goes_back_on_whatsapp_with_the_uk_number(twilio):
    fake, assistant = twilio
    user = "whatsapp:+447700900" + numbers()[:3]
    assert post(assistant, whatsapp(user, CRISIS)).status_code == 200
    [reply] = sent_to(fake, user)
    assert reply["From"] == WHATSAPP_SENDER
    assert reply["Body"].startswith("Call 999 now.")
    assert reply["Body"].endswith("Is the person breathing?")


def test_the_numbers_region_holds_until_the_user_names_another(twilio):
    """The region goes with a conversation's first messages only: it stays for the crisis later,
    and a place the user names is not overridden by their phone number."""
    fake, assistant = twilio
    stays, travels = "+447700900" + numbers()[:3], "+447700901" + numbers()[:3]
    post(assistant, sms(stays, "hi", "GB"))
    post(assistant, sms(stays, CRISIS, "GB"))
    post(assistant, sms(travels, "hi", "GB"))
    post(assistant, sms(travels, "I'm staying in Boston this week", "GB"))
    post(assistant, sms(travels, CRISIS, "GB"))
    assert sent_to(fake, stays)[-1]["Body"].startswith("Call 999 now.")
    assert sent_to(fake, travels)[-1]["Body"].startswith("Call 911 now.")


def test_a_photo_without_text_gets_a_notice_not_silence(twilio):
    fake, assistant = twilio
    user = "+1206" + numbers()
    form = dict(sms(user, ""), NumMedia="1", MediaContentType0="image/jpeg",
                MediaUrl0=f"https://api.twilio.com{MESSAGES[:-5]}/MM0/Media/ME0")
    assert post(assistant, form).status_code == 200
    assert [r["Body"] for r in sent_to(fake, user)] == [typed_only_reply("US")]
    assert stored_rows(assistant, user) == 0
    # From a UK number, a voice note is answered with the UK's emergency call.
    uk = "+447700" + numbers()[:6]
    form = dict(sms(uk, ""), NumMedia="1", MediaContentType0="audio/ogg",
                MediaUrl0=f"https://api.twilio.com{MESSAGES[:-5]}/MM1/Media/ME1")
    assert post(assistant, form).status_code == 200
    assert "Call 999 now" in sent_to(fake, uk)[-1]["Body"]


def test_unsigned_wrongly_signed_and_replayed_requests_are_refused_and_nothing_is_stored(twilio):
    fake, assistant = twilio
    user = "+447700900" + numbers()[:3]
    form = sms(user, CRISIS, "GB")
    loopback = f"{assistant.url}/webhooks/twilio/webhook"
    assert post(assistant, form, signature=None).status_code == 401
    assert post(assistant, form, signature="").status_code == 401
    assert post(assistant, form, signature=sign(form, token="0" * 32)).status_code == 403
    assert post(assistant, form, signature=sign(form, url=loopback)).status_code == 403
    tampered = dict(form, Body="hi")
    assert post(assistant, tampered, signature=sign(form)).status_code == 403
    assert stored_rows(assistant, user) == 0 and sent_to(fake, user) == []

    replayed = sms("+1206" + numbers(), "hi")
    assert post(assistant, replayed).status_code == 200
    rows, replies = stored_rows(assistant, replayed["From"]), len(sent_to(fake, replayed["From"]))
    assert post(assistant, replayed).status_code == 403
    assert stored_rows(assistant, replayed["From"]) == rows
    assert len(sent_to(fake, replayed["From"])) == replies == 1


def test_sms_segments_are_counted_as_phones_count_them():
    assert sms_segments("") == []
    assert [len(s) for s in sms_segments("a" * 160)] == [160]
    assert [len(s) for s in sms_segments("a" * 161)] == [153, 8]
    assert [len(s) for s in sms_segments("€" * 80)] == [80]  # two septets each: 160
    assert [len(s) for s in sms_segments("€" * 81)] == [76, 5]  # an escape is never cut
    assert [len(s) for s in sms_segments("á" * 70)] == [70]  # UCS-2
    assert [len(s) for s in sms_segments("á" * 71)] == [67, 4]
    assert len(sms_segments("a" * 159 + "’")) == 3  # one curly quote: UCS-2
    assert len(sms_segments(gsm7("a" * 159 + "’"))) == 1


def test_gsm7_keeps_the_text_and_drops_only_look_alikes():
    text = "“Call 999 now” – it’s… urgent\u00a0• see findtreatment.gov\u200b"
    assert gsm7(text) == "\"Call 999 now\" - it's... urgent - see findtreatment.gov"
    assert is_gsm7(gsm7(text)) and not is_gsm7(text)
    assert gsm7("¿La persona está respirando?") == "¿La persona está respirando?"


def test_region_from_the_number_or_twilios_country():
    assert region_from_number("+447700900123") == "UK"
    assert region_from_number("whatsapp:+447700900123") == "UK"
    assert region_from_number("+353851234567") == "IE"
    assert region_from_number("+61412345678") == "AU"
    assert region_from_number("+12065550123") == "US"
    assert region_from_number("+14165550123", "CA") == "CA"  # Canada shares +1
    assert region_from_number("+4915112345678") == "EU"
    assert region_from_number("+33612345678") == "EU"
    assert region_from_number("+919876543210") == "OTHER"
    assert region_from_number("+447700900123", "") == "UK"
    for address in ("12345", "messenger:123", "", "+44"):
        assert region_from_number(address) is None


def test_every_crisis_reply_is_one_message_with_the_number_in_the_first_segment():
    domain = yaml.safe_load((PROJECT / "domain" / "safety.yml").read_text(encoding="utf-8"))
    checked = 0
    for name, variations in domain["responses"].items():
        if not name.startswith(("utter_emergency", "utter_crisis")):
            continue
        for variation in variations:
            text = variation["text"]
            [body] = message_bodies(text, sms=True)  # one message: reassembled in order
            assert message_bodies(text, sms=False) == [text]
            first_sentence = re.split(r"(?<=[.!?])\s", body)[0]
            number = re.search(r"\d[\d -]*\d", first_sentence)  # 911, 112 or 999, 13 11 14
            first_reply = name.startswith("utter_emergency") and "_line_" not in name
            if first_reply and number:
                assert number.end() <= len(sms_segments(body)[0]), (name, body[:80])
                checked += 1
    assert checked > 60


def test_long_replies_are_cut_under_the_limit_in_order_and_nothing_is_lost():
    text = "Call 999 now. " + " ".join(
        f"Sentence {i} says something about treatment and recovery." for i in range(100))
    fake = FakePlatform(twilio_api)
    try:
        async def send():
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
            client.api.base_url = fake.url
            await TwilioReplies(client, SMS_NUMBER).send_text_with_buttons(
                "+447700900123", text, [{"title": "Yes", "payload": "/affirm"}])
            await client.http_client.close()

        asyncio.run(send())
        bodies = [r["body"]["Body"] for r in fake.sent(MESSAGES)]
    finally:
        fake.close()
    assert len(bodies) == 4 and all(len(body) <= BODY_LIMIT for body in bodies)
    assert bodies[0].startswith("Call 999 now.")
    assert bodies[-1].endswith("Reply with a number:\n1. Yes")
    assert " ".join(bodies).replace("\n\n", " ") == text + " Reply with a number:\n1. Yes"


def test_a_busy_twilio_is_tried_again_and_an_opted_out_user_is_skipped():
    answers = iter([(503, {"code": 20503, "message": "Service unavailable", "status": 503}),
                    (429, {"code": 20429, "message": "Too many requests", "status": 429})])

    def busy_then_fine(method, path, body):
        if body["To"] == "+447700900999":
            return 400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                         "status": 400}
        return next(answers, None) or twilio_api(method, path, body)

    fake = FakePlatform(busy_then_fine)
    try:
        async def send():
            client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=AsyncTwilioHttpClient())
            client.api.base_url = fake.url
            replies = TwilioReplies(client, SMS_NUMBER)
            await replies.send_text_message("+447700900123", "Call 999 now.")
            await replies.send_text_message("+447700900999", "Call 999 now.")  # no exception
            await client.http_client.close()

        asyncio.run(send())
        tries = [r["body"]["To"] for r in fake.sent(MESSAGES)]
    finally:
        fake.close()
    assert tries == ["+447700900123"] * 3 + ["+447700900999"]


def test_settings_switch_the_channel_on_only_when_all_are_set():
    from channels.enabled import enabled_messaging
    key = "channels.twilio.WaypointTwilioInput"
    full = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WEBHOOK_URL": PUBLIC_URL}
    assert key in enabled_messaging(full)
    assert key not in enabled_messaging(dict(full, TWILIO_WEBHOOK_URL=""))
