"""SMS and WhatsApp through Twilio, with Rasa's connector's input handling replaced.

Rasa 3.6's `TwilioInput` / `TwilioOutput`:

- never check `X-Twilio-Signature`: anyone who knows the URL can post as any phone number;
- test `message is not None`, the handler function itself, instead of the text, so a message
  without a body (a photo) raises; and turn every "¡" into "@", which breaks Spanish;
- split replies at blank lines only, so a part over 1,600 characters fails, and show buttons as
  "1: title (payload)", payload and all, with no way to answer them by number;
- call Twilio's synchronous client inside the event loop, from the one number configured;
- handle a message inside the request: when Twilio hangs up (15 s), Sanic cancels the handler.

Here every request must carry a valid signature for TWILIO_WEBHOOK_URL, the public URL Twilio
posts to (behind a proxy the request's own URL differs), over all the fields sent, blank ones
included, before anything is read or stored; a MessageSid already received is refused (replay).
Replies go from the number or WhatsApp sender the user wrote to, through Twilio's async client;
each reply is one message when it fits in 1,600 characters (a long SMS then arrives as one
reassembled message, so a crisis reply that starts "Call 999 now" has the number in its first
segment), else cut at sentence boundaries. SMS text is kept GSM-7 where a character has an ASCII
look-alike. Buttons become numbered choices, answered by number or by the option's words. The
region comes from Twilio's FromCountry, else the number's country code, else
TWILIO_DEFAULT_REGION.

Environment: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WEBHOOK_URL; optional TWILIO_API_URL
(default Twilio's), TWILIO_DEFAULT_REGION.
"""
import asyncio
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import parse_qsl

import aiohttp
from multidict import MultiDict
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from safety.detection import region_from_metadata
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from channels.choices import typed_text
from channels.formatting import numbered_choices, split_text
from channels.webhook_support import (RecentIds, conversation_region, default_region,
                                      region_metadata, stored_tracker, to_the_end,
                                      typed_only_reply)

logger = logging.getLogger(__name__)
# Twilio's client logs the URL and headers of every request at INFO; here only its failures.
http_logger = logging.getLogger(f"{__name__}.http")
http_logger.setLevel(logging.WARNING)

BODY_LIMIT = 1600  # characters; Twilio refuses longer bodies
OPTED_OUT = 21610  # Twilio's error: the recipient texted STOP
SEND_ATTEMPTS = 3
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # two septets each
# Look-alikes that would make a whole SMS UCS-2 (70 characters a segment instead of 160).
ASCII_LOOKALIKES = str.maketrans({
    **dict.fromkeys("‘’‚‛′`´", "'"), **dict.fromkeys("“”„‟″«»", '"'),
    **dict.fromkeys("‐‑‒–—―−•·‣⁃", "-"), "…": "...", "\t": " ",
    **dict.fromkeys("\u00a0\u2002\u2003\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", None)})

# Country calling codes (E.164) of the regions with their own emergency replies; any other
# code is somewhere else (OTHER). +1 is the US and Canada alike (FromCountry tells them apart).
CALLING_CODES = {
    "1": "US", "44": "GB", "353": "IE", "61": "AU",
    "43": "AT", "32": "BE", "359": "BG", "385": "HR", "357": "CY", "420": "CZ", "45": "DK",
    "372": "EE", "358": "FI", "33": "FR", "49": "DE", "30": "GR", "36": "HU", "39": "IT",
    "371": "LV", "370": "LT", "352": "LU", "356": "MT", "31": "NL", "48": "PL", "351": "PT",
    "40": "RO", "421": "SK", "386": "SI", "34": "ES", "46": "SE",
}
E164 = re.compile(r"\+(\d{7,15})")


def gsm7(text: Text) -> Text:
    """The text with curly quotes, dashes, ellipses and odd spaces as their ASCII look-alikes."""
    return text.translate(ASCII_LOOKALIKES)


def is_gsm7(text: Text) -> bool:
    return all(char in GSM7 or char in GSM7_EXTENDED for char in text)


def sms_segments(text: Text) -> List[Text]:
    """The text as a phone receives it: one segment of 160 GSM-7 septets (70 UCS-2 units), or
    several of 153 (67) reassembled in order."""
    if is_gsm7(text):
        single, each = 160, 153
        cost = {char: 2 for char in GSM7_EXTENDED}
    else:
        single, each = 70, 67
        cost = {char: 2 for char in text if ord(char) > 0xFFFF}
    if sum(cost.get(char, 1) for char in text) <= single:
        return [text] if text else []
    segments, current, used = [], "", 0
    for char in text:
        if used + cost.get(char, 1) > each:
            segments.append(current)
            current, used = "", 0
        current += char
        used += cost.get(char, 1)
    return segments + [current]


def message_bodies(text: Text, sms: bool) -> List[Text]:
    """The reply as Twilio message bodies: one when it fits, else cut at sentence boundaries."""
    return split_text(gsm7(text) if sms else text, BODY_LIMIT)


def region_from_number(address: Text, country: Optional[Text] = None) -> Optional[Text]:
    """The region of a sender: Twilio's FromCountry (SMS) when given, else the country code of
    an E.164 number ("+44...", "whatsapp:+44..."); None for anything else (a short code)."""
    region = region_from_metadata({"country": country}) if country else None
    if region:
        return region
    number = E164.fullmatch(address.split(":", 1)[-1].strip())
    if not number:
        return None
    digits = number.group(1)
    code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in CALLING_CODES), None)
    return region_from_metadata({"country": CALLING_CODES[code]}) if code else "OTHER"


class TwilioReplies(OutputChannel):
    """Replies to one inbound message, sent from the number (or WhatsApp sender) it went to."""

    @classmethod
    def name(cls) -> Text:
        return "twilio"

    def __init__(self, client: Client, sender: Text) -> None:
        self.client = client
        self.sender = sender
        self.sms = not sender.startswith("whatsapp:")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for body in message_bodies(text, self.sms):
            if self.sms:
                logger.debug("SMS of %d segment(s), %s.", len(sms_segments(body)),
                             "GSM-7" if is_gsm7(body) else "UCS-2")
            await self._create(recipient_id, body)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, f"{text}\n\n{numbered_choices(buttons)}")

    async def _create(self, to: Text, body: Text) -> None:
        """Creates the message; a busy or failing Twilio (429, 5xx, network) is tried again."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await self.client.messages.create_async(to=to, from_=self.sender, body=body)
                return
            except TwilioRestException as error:
                if error.code == OPTED_OUT:
                    logger.info("No reply sent: the recipient has opted out (STOP).")
                    return
                if attempt == SEND_ATTEMPTS or not (error.status == 429 or error.status >= 500):
                    raise
            except (aiohttp.ClientError, asyncio.TimeoutError):
                if attempt == SEND_ATTEMPTS:
                    raise
            await asyncio.sleep(attempt)


class WaypointTwilioInput(TwilioInput):
    """Twilio SMS and WhatsApp with signatures checked and replies that fit (see the module)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WaypointTwilioInput":
        env = os.environ
        return cls(env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"], env["TWILIO_WEBHOOK_URL"],
                   env.get("TWILIO_API_URL") or None, default_region("TWILIO_DEFAULT_REGION"))

    def __init__(self, account_sid: Text, auth_token: Text, webhook_url: Text,
                 api_url: Optional[Text] = None, region: Optional[Text] = None) -> None:
        super().__init__(account_sid, auth_token, None, debug_mode=False)
        self.webhook_url = webhook_url
        self.api_url = api_url
        self.region = region
        self.validator = RequestValidator(auth_token)
        self.seen = RecentIds()
        self.client: Optional[Client] = None

    def _client(self) -> Client:
        """One async client, made in the server's loop (its HTTP session belongs to it)."""
        if self.client is None:
            self.client = Client(self.account_sid, self.auth_token,
                                 http_client=AsyncTwilioHttpClient(timeout=15,
                                                                   logger=http_logger))
            if self.api_url:
                self.client.api.base_url = self.api_url.rstrip("/")
        return self.client

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        twilio_webhook = Blueprint("twilio_webhook", __name__)

        @twilio_webhook.listener("before_server_stop")
        async def close(_app: Any, _loop: Any) -> None:
            if self.client is not None:
                await self.client.http_client.close()

        @twilio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @twilio_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-Twilio-Signature")
            # Twilio signs every field it sends, blank ones too (Sanic's request.form drops them).
            form = MultiDict(parse_qsl(request.body.decode("utf-8", "replace"),
                                       keep_blank_values=True))
            if not signature:
                logger.warning("Refused a Twilio request without a signature.")
                return response.text("", status=401)
            if not self.validator.validate(self.webhook_url, form, signature):
                logger.warning("Refused a Twilio request with a wrong signature.")
                return response.text("", status=403)
            message_sid = form.get("MessageSid") or form.get("SmsMessageSid")
            if not (message_sid and form.get("From") and form.get("To")):
                return response.text(EMPTY_TWIML, content_type="text/xml")
            if not self.seen.add(message_sid):
                logger.warning("Refused Twilio message %s: already received.", message_sid)
                return response.text("", status=403)
            try:
                await to_the_end(self._handle(form, request.app.ctx.agent, on_new_message))
            except Exception:  # noqa: BLE001
                self.seen.forget(message_sid)
                logger.exception("Twilio message %s failed.", message_sid)
                return response.text("", status=500)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return twilio_webhook

    async def _handle(self, form: MultiDict, agent: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender = form["From"]
        replies = TwilioReplies(self._client(), form["To"])
        text = (form.get("Body") or "").strip()
        tracker = await stored_tracker(agent, sender)
        region = region_from_number(sender, form.get("FromCountry")) or self.region
        if not text:
            media = form.get("NumMedia", "0")
            if (media.isdigit() and int(media) > 0) or form.get("Latitude"):
                # A voice note or a photo may be a call for help.
                await replies.send_text_message(
                    sender, typed_only_reply(conversation_region(tracker, region)))
            return
        text = typed_text(text, tracker)
        await on_new_message(UserMessage(
            text, replies, sender, input_channel=self.name(),
            metadata=region_metadata(region, tracker)))
