"""Telegram, through Rasa's connector with its input handling replaced.

Rasa 3.6's `TelegramInput` / `TelegramOutput`:

- accept any POST to the webhook: the only check compares the bot's public username (fetched with
  getMe on every update) with `verify`; Telegram's secret token is neither set nor checked;
- set the webhook with `asyncio.run()` while the blueprint is built, so aiogram's HTTP session
  belongs to a loop that is closed before the server starts, and sending fails with "Event loop
  is closed"; and anyone may call `/set_webhook`;
- split replies at blank lines only: a part over 4,096 characters is refused and lost;
- put button payloads into `callback_data` unchecked: over 64 bytes Telegram refuses the whole
  message, its text too; and never answer the callback query, so the button keeps spinning;
- handle a message inside the request: when Telegram hangs up, Sanic cancels the handler midway.

Here the webhook is registered at start-up with a secret token (aiogram 2.15's `set_webhook`
cannot pass one) and every update must carry it (compared in constant time) before anything is
read or stored; an update id already seen is acknowledged and skipped, since Telegram re-delivers
any update that is not answered with 2xx (memory: channels/webhook_support.py). Replies are cut at
sentence boundaries under the limit, in plain text (Telegram links bare domains itself, and no
markup means nothing can fail to parse); buttons are an inline keyboard whose payloads, when
longer than 64 bytes, travel as a short hash and are looked up in the conversation. A typed
"2" or the option's words press the button too (channels/choices.py). The region comes from a
region subtag of the user's language (en-GB), else TELEGRAM_DEFAULT_REGION.

Environment: TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL (the public https URL of
/webhooks/telegram/webhook), TELEGRAM_SECRET_TOKEN (1-256 of A-Z a-z 0-9 _ -); optional
TELEGRAM_API_URL (default the Bot API), TELEGRAM_DEFAULT_REGION.
"""
import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import BadRequest, RetryAfter, TelegramAPIError, Unauthorized
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from safety.detection import region_from_metadata
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.choices import typed_text
from channels.formatting import split_text
from channels.webhook_support import (RecentIds, conversation_region, default_region,
                                      region_metadata, stored_tracker, to_the_end,
                                      typed_only_reply)

logger = logging.getLogger(__name__)

BOT_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MESSAGE_LIMIT = 4096  # characters of a message's text
CALLBACK_DATA_LIMIT = 64  # bytes
KEY_PREFIX = "#k:"  # callback_data that stands for a longer payload
FLOOD_RETRIES = 3
MAX_FLOOD_WAIT = 30  # seconds
START_COMMAND = re.compile(r"/start(@\w+)?(\s.*)?", re.DOTALL)
# Messages a person sent that hold no text; service messages (someone joined a group) get no reply.
MEDIA = ("animation", "audio", "contact", "document", "location", "photo", "sticker", "video",
         "video_note", "voice")
EXPIRED = "Sorry, that option has expired. Please type what you want to ask."


def message_parts(text: Text) -> List[Text]:
    """The text in messages Telegram accepts. Its limit may count UTF-16 units, so a text with
    characters outside the BMP (emoji) is cut at half the limit."""
    astral = any(ord(char) > 0xFFFF for char in text)
    return split_text(text, MESSAGE_LIMIT // 2 if astral else MESSAGE_LIMIT)


def callback_data(payload: Text) -> Text:
    """The payload itself when it fits in 64 bytes, else a short key for it."""
    if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(KEY_PREFIX):
        return payload
    return KEY_PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def pressed(query: Dict, tracker: Optional[DialogueStateTracker]) -> Optional[Text]:
    """What a button press says: its payload; for a key, the payload found among the buttons the
    conversation offered, else the button's own words as if typed."""
    data = query.get("data") or ""
    if not data.startswith(KEY_PREFIX):
        return data or None
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, BotUttered):
            for button in event.data.get("buttons") or []:
                if callback_data(str(button.get("payload") or "")) == data:
                    return button["payload"]
    keyboard = ((query.get("message") or {}).get("reply_markup") or {}).get("inline_keyboard")
    for row in keyboard or []:
        for button in row:
            if button.get("callback_data") == data:
                return button.get("text")
    return None


def region_from_language(code: Optional[Text]) -> Optional[Text]:
    """The region of a language tag's region subtag (en-GB -> UK, pt-br -> OTHER); none for a
    bare language (en), a script (zh-hans) or a numeric area (es-419)."""
    for subtag in re.split(r"[-_]", code or "")[1:]:
        if len(subtag) == 2 and subtag.isalpha():
            return region_from_metadata({"country": subtag})
    return None


class WaypointTelegramOutput(TelegramOutput):
    """Replies in parts under the limit, in plain text; buttons as an inline keyboard."""

    def __init__(self, access_token: Text, api_url: Text = BOT_API) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url), timeout=30)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in message_parts(text):
            await self._send(recipient_id, part)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        parts = message_parts(text) or ["Choose one:"]
        for part in parts[:-1]:
            await self._send(recipient_id, part)
        keyboard = InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(str(button.get("title") or button.get("payload")),
                                  callback_data=callback_data(
                                      str(button.get("payload") or button.get("title"))))]
            for button in buttons])
        await self._send(recipient_id, parts[-1], reply_markup=keyboard)

    async def _send(self, chat_id: Text, text: Text, **kwargs: Any) -> None:
        for _ in range(FLOOD_RETRIES):
            try:
                await self.send_message(chat_id, text, disable_web_page_preview=True, **kwargs)
                return
            except RetryAfter as flood:
                await asyncio.sleep(min(flood.timeout, MAX_FLOOD_WAIT))
        await self.send_message(chat_id, text, disable_web_page_preview=True, **kwargs)


class WaypointTelegramInput(TelegramInput):
    """Telegram with a secret token, replay memory and replies that fit (see the module)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WaypointTelegramInput":
        env = os.environ
        return cls(env["TELEGRAM_TOKEN"], env["TELEGRAM_WEBHOOK_URL"],
                   env["TELEGRAM_SECRET_TOKEN"], env.get("TELEGRAM_API_URL") or BOT_API,
                   default_region("TELEGRAM_DEFAULT_REGION"))

    def __init__(self, access_token: Text, webhook_url: Text, secret_token: Text,
                 api_url: Text = BOT_API, region: Optional[Text] = None) -> None:
        if not SECRET_TOKEN.fullmatch(secret_token):
            raise ValueError("TELEGRAM_SECRET_TOKEN must be 1-256 of A-Z a-z 0-9 _ -")
        if not webhook_url.startswith("https://"):
            raise ValueError("TELEGRAM_WEBHOOK_URL must be an https URL (Telegram's rule)")
        super().__init__(access_token, None, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url
        self.region = region
        self.seen = RecentIds()

    def get_output_channel(self) -> WaypointTelegramOutput:
        return WaypointTelegramOutput(self.access_token, self.api_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        bot = self.get_output_channel()  # its HTTP session opens in the server's loop

        @telegram_webhook.listener("after_server_start")
        async def register(app: Any, _loop: Any) -> None:
            app.add_task(self._register_webhook(bot))

        @telegram_webhook.listener("before_server_stop")
        async def close(_app: Any, _loop: Any) -> None:
            await bot.session.close()  # the HTTP session; Bot.close() is deprecated

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            token = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(token.encode(), self.secret_token.encode()):
                logger.warning("Refused a Telegram update without the right secret token.")
                return response.text("", status=403 if token else 401)
            update = request.json
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.text("", status=400)
            update_id = update["update_id"]
            if not self.seen.add(update_id):
                # A 4xx would make Telegram deliver it again and again: acknowledge, skip.
                logger.warning("Skipped Telegram update %s: already received.", update_id)
                return response.text("")
            try:
                await to_the_end(self._handle(update, request.app.ctx.agent, on_new_message, bot))
            except (BadRequest, Unauthorized) as refusal:  # the user blocked the bot...
                logger.error("Telegram refused the reply to update %s: %s", update_id, refusal)
                return response.text("")  # trying again cannot help
            except Exception:  # noqa: BLE001 - Telegram retries a 500
                self.seen.forget(update_id)
                logger.exception("Telegram update %s failed; Telegram will retry it.", update_id)
                return response.text("", status=500)
            return response.text("")

        return telegram_webhook

    async def _register_webhook(self, bot: WaypointTelegramOutput) -> None:
        """setWebhook with the secret token, retried until Telegram accepts it."""
        delay = 5
        while True:
            try:
                await bot.request("setWebhook", {
                    "url": self.webhook_url, "secret_token": self.secret_token,
                    "allowed_updates": json.dumps(ALLOWED_UPDATES)})
                logger.info("Telegram webhook registered.")
                return
            except (TelegramAPIError, asyncio.TimeoutError) as error:
                reason = str(error).replace(self.access_token, "<token>")
                logger.error("Telegram refused the webhook (%s); retrying in %d s.", reason, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300)

    async def _handle(self, update: Dict, agent: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      bot: WaypointTelegramOutput) -> None:
        query = update.get("callback_query")
        message = (query or {}).get("message") or update.get("message") \
            or update.get("edited_message")
        if not isinstance(message, dict) or "id" not in (message.get("chat") or {}):
            return
        user = (query or message).get("from") or {}
        if user.get("is_bot"):
            return
        if message["chat"].get("type", "private") != "private":
            # In a group everyone would share one conversation: its context, its deletion.
            return
        chat_id = str(message["chat"]["id"])
        if query:
            try:
                await bot.answer_callback_query(query["id"])  # stops the button's spinner
            except TelegramAPIError as error:
                logger.warning("Could not answer a callback query: %s", error)
        tracker = await stored_tracker(agent, chat_id)
        if query:
            text = pressed(query, tracker)
        else:
            text = message.get("text") or message.get("caption")
            if text and START_COMMAND.fullmatch(text.strip()):
                text = "/greet"  # Telegram's first message to a bot
            elif text:
                text = typed_text(text, tracker)
        region = region_from_language(user.get("language_code")) or self.region
        if not text or not text.strip():
            if query:
                await bot.send_text_message(chat_id, EXPIRED)
            elif any(key in message for key in MEDIA):  # a voice note may be a call for help
                await bot.send_text_message(
                    chat_id, typed_only_reply(conversation_region(tracker, region)))
            return
        await on_new_message(UserMessage(
            text, bot, chat_id, input_channel=self.name(),
            metadata=region_metadata(region, tracker)))
