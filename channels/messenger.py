"""Facebook Messenger. Rasa 3.6's `FacebookInput` is kept for its settings and its route
(/webhooks/facebook/webhook); its handlers and its output are replaced, because as shipped it:

- checks only the SHA-1 `X-Hub-Signature` header, compares it with `==`, and answers a bad
  signature, and a wrong verify token, with 200;
- handles only the first message of a delivery that batches several;
- drops every button of a message that has more than 3, and sends texts longer than Messenger's
  2000 characters, which the Send API refuses;
- sends with fbmessenger's blocking `requests` client on the server's event loop, to a fixed
  graph.facebook.com v2.12 address, and ignores the API's error answers;
- passes the address of a photo or voice message to the assistant as if the user had typed it.

Here a POST is checked against `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app
secret, compared in constant time) before anything is read: 401 without one, 403 when wrong (a
wrong verify token: 403). Replies are split under Messenger's limits (channels/formatting.py);
up to 3 buttons with short titles become a button template, more become quick replies, and
titles too long for those are listed as numbered choices, answered by number or by the option's
words (channels/choices.py). The Send API is called with aiohttp at FACEBOOK_API_URL.

Environment: FACEBOOK_VERIFY_TOKEN, FACEBOOK_APP_SECRET, FACEBOOK_PAGE_ACCESS_TOKEN, optional
FACEBOOK_API_URL (default the Graph API) and FACEBOOK_DEFAULT_REGION, the region sent until
the conversation has one (Messenger's webhook names no country; channels/webhook_support.py).
"""
import asyncio
import hashlib
import hmac
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set, Text

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.facebook import FacebookInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.choices import typed_text
from channels.formatting import numbered_choices, split_text
from channels.inbound import MAX_MESSAGE_CHARS
from channels.webhook_support import (default_region, emergency_calls, region_metadata,
                                      stored_tracker, typed_only_reply)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://graph.facebook.com/v25.0"
TEXT_LIMIT = 2000  # characters of a text message
TEMPLATE_TEXT_LIMIT = 640  # characters of a button template's text
TEMPLATE_BUTTONS = 3
QUICK_REPLIES = 13
TITLE_LIMIT = 20  # characters of a button's or a quick reply's title

SEND_ATTEMPTS = 2  # a server error or a lost connection is tried once more
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15)


def valid_signature(app_secret: Text, body: bytes, header: Optional[Text]) -> bool:
    """True when the `X-Hub-Signature-256` header is "sha256=" and the body's HMAC-SHA256."""
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").encode())


def _short(title: Text) -> Text:
    return title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT - 1].rstrip() + "…"


def messenger_messages(text: Text, buttons: Sequence[Dict] = ()) -> List[Dict]:
    """The Send API `message` objects for one reply, in order. Up to 3 buttons with short titles
    and a short text: one button template. Otherwise text parts of at most 2000 characters, the
    last with the buttons as quick replies (up to 13); when a title is longer than a quick reply
    shows, or there are more than 13, the text also lists them as numbered choices."""
    text = (text or "").strip()
    titles = [str(button.get("title") or "") for button in buttons]
    payloads = [str(button.get("payload") or title) for button, title in zip(buttons, titles)]
    short = all(len(title) <= TITLE_LIMIT for title in titles)
    if (buttons and short and len(buttons) <= TEMPLATE_BUTTONS
            and 0 < len(text) <= TEMPLATE_TEXT_LIMIT):
        template = {"template_type": "button", "text": text, "buttons": [
            {"type": "postback", "title": t, "payload": p} for t, p in zip(titles, payloads)]}
        return [{"attachment": {"type": "template", "payload": template}}]
    numbered = bool(buttons) and not (short and len(buttons) <= QUICK_REPLIES and text)
    if numbered:
        text = f"{text}\n\n{numbered_choices(buttons)}".strip()
    messages: List[Dict] = [{"text": part} for part in split_text(text, TEXT_LIMIT)]
    if buttons and len(buttons) <= QUICK_REPLIES:
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": _short(f"{i}. {t}" if numbered else t), "payload": p}
            for i, (t, p) in enumerate(zip(titles, payloads), start=1)]
    return messages


class SendAPI:
    """The Messenger Send API ({api_url}/me/messages), called with aiohttp."""

    def __init__(self, api_url: Text, page_access_token: Text, app_secret: Text) -> None:
        self.url = api_url.rstrip("/") + "/me/messages"
        proof = hmac.new(app_secret.encode(), page_access_token.encode(), hashlib.sha256)
        self.params = {"access_token": page_access_token, "appsecret_proof": proof.hexdigest()}

    async def send(self, recipient_id: Text, message: Dict) -> bool:
        body = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE",
                "message": message}
        problem = ""
        for attempt in range(SEND_ATTEMPTS):
            if attempt:
                await asyncio.sleep(1)
            try:
                async with aiohttp.ClientSession(timeout=SEND_TIMEOUT) as session:
                    async with session.post(self.url, params=self.params, json=body) as answer:
                        if answer.status < 300:
                            return True
                        problem = f"HTTP {answer.status} {(await answer.text())[:300]}"
                        if answer.status < 500 and answer.status != 429:
                            break
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = type(error).__name__  # its text may hold the URL, with the token
        logger.error("The Messenger Send API did not take a message: %s", problem)
        return False


class MessengerOutput(OutputChannel):
    """Each reply as messenger_messages() shapes it, sent in order."""

    @classmethod
    def name(cls) -> Text:
        return "facebook"

    def __init__(self, api: SendAPI) -> None:
        super().__init__()
        self.api = api

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, [])

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        for message in messenger_messages(text, buttons):
            await self.api.send(recipient_id, message)


class WaypointMessengerInput(FacebookInput):
    """Messenger with signed webhooks, every batched message, and replies that fit."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WaypointMessengerInput":
        return cls(os.environ["FACEBOOK_VERIFY_TOKEN"], os.environ["FACEBOOK_APP_SECRET"],
                   os.environ["FACEBOOK_PAGE_ACCESS_TOKEN"],
                   api_url=os.environ.get("FACEBOOK_API_URL") or DEFAULT_API_URL,
                   region=default_region("FACEBOOK_DEFAULT_REGION"))

    def __init__(self, fb_verify: Text, fb_secret: Text, fb_access_token: Text,
                 api_url: Text = DEFAULT_API_URL, region: Optional[Text] = None) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.api = SendAPI(api_url, fb_access_token, fb_secret)
        self.region = region
        emergency_calls()  # read at start-up: a broken file stops the server, not a reply
        self._tasks: Set[asyncio.Task] = set()

    def get_output_channel(self) -> OutputChannel:
        return MessengerOutput(self.api)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        fb_webhook = Blueprint("fb_webhook", __name__)

        @fb_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if (request.args.get("hub.mode") == "subscribe"
                    and hmac.compare_digest(token.encode(), self.fb_verify.encode())):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("A Messenger webhook verification with a wrong token was refused.")
            return response.text("forbidden", status=403)

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-Hub-Signature-256")
            if not signature:
                logger.warning("A Messenger webhook call without a signature was refused.")
                return response.text("signature required", status=401)
            if not valid_signature(self.fb_secret, request.body, signature):
                logger.warning("A Messenger webhook call without a valid signature was refused.")
                return response.text("invalid signature", status=403)
            try:
                payload = json.loads(request.body)
            except ValueError:
                return response.text("not JSON", status=400)
            events = [event for entry in payload.get("entry") or [] if isinstance(entry, dict)
                      for event in entry.get("messaging") or [] if isinstance(event, dict)
                      ] if isinstance(payload, dict) and payload.get("object") == "page" else []
            if events:
                # Answered after the 200, which Messenger wants at once; in order, one by one.
                agent = getattr(request.app.ctx, "agent", None)
                task = asyncio.create_task(self._handle(events, agent, on_new_message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return response.text("EVENT_RECEIVED")

        return fb_webhook

    async def _handle(self, events: List[Dict], agent: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        for event in events:
            try:
                await self._handle_event(event, agent, on_new_message)
            except Exception:
                logger.exception("A Messenger message could not be handled.")

    async def _handle_event(self, event: Dict, agent: Any,
                            on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sender_id = str((event.get("sender") or {}).get("id") or "")
        message = event.get("message") or {}
        if not sender_id or message.get("is_echo"):
            return
        output = self.get_output_channel()
        tracker = await stored_tracker(agent, sender_id)
        metadata = region_metadata(self.region, tracker)
        # A quick reply or a postback carries the button's payload; typed text may pick one.
        text = ((message.get("quick_reply") or {}).get("payload")
                or (event.get("postback") or {}).get("payload"))
        if not text and isinstance(message.get("text"), str) and message["text"].strip():
            typed = message["text"][:MAX_MESSAGE_CHARS]
            text = typed_text(typed, tracker)
        if not text:
            if message.get("attachments"):
                region = metadata.get("region") or (tracker.get_slot("region") if tracker else None)
                await output.send_text_message(sender_id, typed_only_reply(region))
            return  # deliveries, reads, reactions: nothing to answer
        await on_new_message(UserMessage(str(text), output, sender_id,
                                         input_channel=self.name(), metadata=metadata))
