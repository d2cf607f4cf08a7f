"""Slack, through the Events API and interactivity. Rasa 3.6's `SlackInput` is kept for its
signature check (`is_request_from_slack_authentic`: HMAC-SHA256 of "v0:timestamp:body" with the
signing secret, compared in constant time, refused outside a 5-minute window), its parsing
helpers and its background handling; its webhook and its output are replaced, because as
shipped it:

- refuses a request that fails the check with 400, not 401/403;
- answers a retry again unless Slack names `http_timeout` as the reason, so a message whose
  acknowledgement was late is answered twice;
- answers the url_verification challenge with a bare JSON string, a form Slack does not document;
- drops every button of a message with more than 5, puts the text above buttons in a plain_text
  section (no links, 3000 characters at most, not split), splits other texts only at blank
  lines, escapes no `&`, `<`, `>`, and posts with `as_user`, which only classic Slack apps may
  use.

Here the signature is checked before the body is read: a request without one is refused with
401, one that fails the check with 403. An event already received (same event_id) is
acknowledged and not answered again; the retry of one that never arrived is answered. The
bot's own messages and edits are ignored. Replies are mrkdwn, with links as
`<https://findtreatment.gov|findtreatment.gov>`, split under 3000 characters; buttons go in
actions blocks of up to 25, and titles longer than a button's 75 characters are cut there and
listed whole as numbered choices, which "2" or the option's words answer (channels/choices.py).

Environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, optional SLACK_API_URL (default
https://slack.com/api/) and SLACK_DEFAULT_REGION, the region sent until the conversation has
one (Slack's events name no locale; channels/webhook_support.py).
"""
import asyncio
import json
import logging
import os
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (AsyncConnectionErrorRetryHandler,
                                                         AsyncRateLimitErrorRetryHandler)
from slack_sdk.web.async_client import AsyncWebClient

from channels.choices import typed_text
from channels.inbound import MAX_MESSAGE_CHARS
from channels.formatting import numbered_choices, split_text
from channels.webhook_support import (RecentIds, conversation_region, default_region,
                                      region_metadata, typed_only_reply, stored_tracker)

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
SECTION_LIMIT = 3000  # characters of a section block's text
BUTTONS_PER_BLOCK = 25  # elements of an actions block
BUTTON_TEXT_LIMIT = 75

# Message subtypes a person sends; the others are edits, deletions, joins and bots.
USER_SUBTYPES = {None, "file_share", "thread_broadcast"}
# A URL, or a bare domain such as FindTreatment.gov; sentence punctuation after it is not part.
LINK = re.compile(r"\bhttps?://[^\s<>]*[^\s<>.,;:!?)]"
                  r"|(?<![\w@.-])(?:[a-z0-9-]+\.)+(?:gov|org|com|net|edu|us|uk|ie|ca|au|eu)\b"
                  r"(?:/[^\s<>]*[^\s<>.,;:!?)])?", re.IGNORECASE)


def _link(match: "re.Match") -> Text:
    shown = match.group(0)
    url = shown if shown.lower().startswith(("http://", "https://")) else f"https://{shown}"
    return f"<{url}|{shown}>"


def mrkdwn(text: Text) -> Text:
    """Plain text as Slack mrkdwn: &, < and > escaped, URLs and bare domains as links."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return LINK.sub(_link, escaped)


def _short(title: Text) -> Text:
    return title if len(title) <= BUTTON_TEXT_LIMIT else title[:BUTTON_TEXT_LIMIT - 1] + "…"


def slack_messages(text: Text, buttons: Sequence[Dict] = ()) -> List[Dict]:
    """chat.postMessage arguments (text, blocks) for one reply, in order: mrkdwn sections of at
    most 3000 characters, the last followed by every button in actions blocks of up to 25."""
    titles = [str(button.get("title") or "") for button in buttons]
    body = (text or "").strip()
    if buttons and (not body or any(len(title) > BUTTON_TEXT_LIMIT for title in titles)):
        body = f"{body}\n\n{numbered_choices(buttons)}".strip()
    messages = [{"text": part, "blocks": [{"type": "section",
                                           "text": {"type": "mrkdwn", "text": part}}]}
                for part in split_text(mrkdwn(body), SECTION_LIMIT)]
    elements = [{"type": "button", "action_id": f"choice-{i}",
                 "text": {"type": "plain_text", "text": _short(title), "emoji": True},
                 "value": str(button.get("payload") or title)}
                for i, (button, title) in enumerate(zip(buttons, titles), start=1)]
    for start in range(0, len(elements), BUTTONS_PER_BLOCK):
        messages[-1]["blocks"].append(
            {"type": "actions", "elements": elements[start:start + BUTTONS_PER_BLOCK]})
    return messages


class SlackOutput(SlackBot):
    """Each reply as slack_messages() shapes it, posted in order to SLACK_API_URL."""

    def __init__(self, token: Text, api_url: Text, slack_channel: Optional[Text] = None,
                 thread_id: Optional[Text] = None) -> None:
        super().__init__(token, slack_channel, thread_id)
        self.client = AsyncWebClient(token, base_url=api_url, retry_handlers=[
            AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)])

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)  # only classic Slack apps may post as a user
        await super()._post_message(channel, **kwargs)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, [])

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        for message in slack_messages(text, buttons):
            try:
                await self._post_message(channel=self.slack_channel or recipient_id, **message)
            except SlackApiError as error:
                logger.error("Slack did not take a message: %s", error.response.get("error"))
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                logger.error("Slack could not be reached: %s", type(error).__name__)


class WaypointSlackInput(SlackInput):
    """Slack with refused unsigned requests, no double answers, and replies that fit."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WaypointSlackInput":
        return cls(os.environ["SLACK_BOT_TOKEN"],
                   slack_signing_secret=os.environ["SLACK_SIGNING_SECRET"],
                   api_url=os.environ.get("SLACK_API_URL") or DEFAULT_API_URL,
                   region=default_region("SLACK_DEFAULT_REGION"))

    def __init__(self, slack_token: Text, api_url: Text = DEFAULT_API_URL,
                 region: Optional[Text] = None, **kwargs: Any) -> None:
        kwargs.setdefault("slack_retry_reason_header", "x-slack-retry-reason")
        kwargs.setdefault("slack_retry_number_header", "x-slack-retry-num")
        super().__init__(slack_token, **kwargs)
        self.api_url = api_url
        self.region = region
        self.errors_ignore_retry = ()  # retries are told apart by their event id instead
        self.received_events = RecentIds()  # to tell a retry from a new event

    @staticmethod
    def _is_user_message(slack_event: Dict[Text, Any]) -> bool:
        """Rasa's test, but a message without text counts when it carries files: a voice clip
        or a picture may be a call for help, and is answered (with the emergency call)."""
        event = slack_event.get("event") or {}
        return (event.get("type") in ("message", "app_mention")
                and bool(event.get("text") or event.get("files")) and not event.get("bot_id"))

    def get_output_channel(self, channel: Optional[Text] = None,
                           thread_id: Optional[Text] = None) -> OutputChannel:
        return SlackOutput(self.slack_token, self.api_url, channel or self.slack_channel,
                           thread_id)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not request.headers.get("X-Slack-Signature"):
                logger.warning("A Slack request without a signature was refused.")
                return response.text("signature required", status=401)
            if not self.is_request_from_slack_authentic(request):
                logger.warning("A Slack request without a valid, recent signature was refused.")
                return response.text("invalid signature", status=403)
            kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            try:
                if kind == "application/json":
                    return await self._event(request, json.loads(request.body), on_new_message)
                if kind == "application/x-www-form-urlencoded":
                    payload = json.loads(request.form.get("payload") or "")
                    return await self._interaction(request, payload, on_new_message)
            except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                logger.warning("A signed Slack request could not be read.", exc_info=True)
            return response.text("unsupported request", status=400)

        return slack_webhook

    async def _event(self, request: Request, body: Dict,
                     on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        if body.get("type") == "url_verification":
            return response.json({"challenge": body.get("challenge")})
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return response.text("")
        if body.get("event_id") and not self.received_events.add(body["event_id"]):
            logger.info("Slack sent an event again (retry %s); it is not answered twice.",
                        request.headers.get("X-Slack-Retry-Num"))
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        users = body.get("authed_users") or [
            authorization.get("user_id") for authorization in body.get("authorizations") or []][:1]
        metadata = {"out_channel": event.get("channel"),
                    "thread_id": event.get("thread_ts", event.get("ts")), "users": users}
        # Rasa's check skips messages with a bot_id: the bot's own among them.
        if (not self._is_user_message(body) or not event.get("user")
                or event.get("subtype") not in USER_SUBTYPES
                or not self._is_supported_channel(body, metadata)):
            return response.text("")
        sender_id = self._get_conversation_id(event["user"], metadata["out_channel"],
                                              metadata["thread_id"])
        text = self._sanitize_user_message(event.get("text") or "", users)[:MAX_MESSAGE_CHARS]
        tracker = await stored_tracker(getattr(request.app.ctx, "agent", None), sender_id)
        if not text.strip():
            if event.get("files"):  # a voice clip or a picture may be a call for help
                output = self.get_output_channel(metadata["out_channel"], metadata["thread_id"])
                await output.send_text_message(
                    sender_id, typed_only_reply(conversation_region(tracker, self.region)))
            return response.text("")
        text = typed_text(text, tracker)
        metadata.update(region_metadata(self.region, tracker))
        return await self.process_message(request, on_new_message, text, sender_id, metadata)

    async def _interaction(self, request: Request, payload: Dict,
                           on_new_message: Callable[[UserMessage], Awaitable[Any]]
                           ) -> HTTPResponse:
        if payload.get("type") != "block_actions" or not self._is_interactive_message(payload):
            return response.text("")
        text = self._get_interactive_response(payload["actions"][0])
        user = (payload.get("user") or {}).get("id")
        if not text or not user:  # a link button carries no value
            return response.text("")
        message = payload.get("message") or {}
        metadata = {"out_channel": (payload.get("channel") or {}).get("id"),
                    "thread_id": message.get("thread_ts", message.get("ts")),
                    "users": [user]}
        sender_id = self._get_conversation_id(user, metadata["out_channel"],
                                              metadata["thread_id"])
        tracker = await stored_tracker(getattr(request.app.ctx, "agent", None), sender_id)
        metadata.update(region_metadata(self.region, tracker))
        return await self.process_message(request, on_new_message, text, sender_id, metadata)
