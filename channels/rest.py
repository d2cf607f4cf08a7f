"""The REST channel, strict about what it accepts.

Rasa 3.6's `RestInput` accepts a message without a `sender` and files it under one shared
conversation called "default" (two anonymous clients then read each other's context), takes any
JSON value as the text, lets the client name the input channel, lets any text that starts with
"/" act as an intent (skipping NLU and the crisis detector), and logs the whole message text when
handling fails. Here every request is checked and refused with a 400 that says what is wrong;
commands pass only when a button offered them (channels/choices.py); nothing logged holds text.

    POST /webhooks/rest/webhook  {"sender": "<conversation id>", "message": "<text>",
                                  "metadata": {"region": "UK"}}   (metadata optional)
"""
import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.choices import screen_command
from channels.inbound import CONTROL, MAX_MESSAGE_CHARS, clean_text

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class BadRequest(ValueError):
    """What is wrong with a request, said to the client with a 4xx."""

    def __init__(self, message: Text, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_request(body: bytes) -> Dict[Text, Any]:
    """The sender, text and metadata of a request body, or BadRequest saying what is wrong."""
    if len(body) > MAX_MESSAGE_CHARS * 4 + 4096:  # UTF-8 needs at most 4 bytes a character
        raise BadRequest("the request is too large", 413)
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    except ValueError:
        raise BadRequest('the body must be JSON: {"sender": "...", "message": "..."}') from None
    if not isinstance(data, dict):
        raise BadRequest('the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest('"sender" is required: a string that identifies the conversation')
    if len(sender) > MAX_SENDER_CHARS or CONTROL.search(sender):
        raise BadRequest(f'"sender" must be at most {MAX_SENDER_CHARS} printable characters')
    if not isinstance(text, str):
        raise BadRequest('"message" is required: the text of the message')
    text = clean_text(text)
    if not text.strip():
        raise BadRequest('"message" is empty')
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(f'"message" is longer than {MAX_MESSAGE_CHARS} characters', 413)
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object, e.g. {"region": "UK"}')
    return {"sender": sender, "text": text, "metadata": metadata or {}}


class WaypointRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = parse_request(request.body)
            except BadRequest as problem:
                return response.json({"error": str(problem)}, status=problem.status)
            agent = getattr(request.app.ctx, "agent", None)
            text = await screen_command(agent, message["sender"], message["text"])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, message["sender"],
                                                 input_channel=self.name(),
                                                 metadata=message["metadata"]))
            except asyncio.CancelledError:
                logger.error("A REST message was cancelled before it was answered.")
                raise
            except Exception:  # noqa: BLE001
                logger.error("A REST message could not be handled.", exc_info=True)
                if not collector.messages:  # a failure must not look like "nothing to say"
                    return response.json({"error": "the message could not be handled"},
                                         status=500)
            return response.json(collector.messages)

        return webhook
