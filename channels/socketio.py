"""The Socket.IO channel the chat widget talks to.

Rasa 3.6's `SocketIOInput` is kept (events, JWT option, output) and three of its handlers are
replaced, because as shipped it:

- never answers with `session_persistence: true`: it calls `sio.enter_room()` without `await`,
  a coroutine since python-socketio 5, so the socket never joins the room replies are sent to
  (rasa issue 13027, fixes proposed in PRs 13148 and 13168, not released for 3.6);
- trusts any session id a client names, at `session_request` and again in every message, so a
  client could read and write someone else's conversation by sending its id;
- accepts pages from every origin (`cors_allowed_origins=[]`).

Here a session id must look random (128 bits, hex) or the server issues a fresh one; each socket
is bound to the session it was confirmed, and messages are handled in that session whatever id
they carry; only the configured origins may connect (channels/settings.py).
"""
import json
import logging
import re
import secrets
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic
from sanic.exceptions import SanicException

from channels.choices import screened
from channels.inbound import MAX_MESSAGE_CHARS, clean_text
from channels.settings import allowed_origins
from channels.webhook_support import region_is_known, stored_tracker

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"[0-9a-f]{32}")
# A random 32-digit hex id has about 14 distinct digits; fewer than 8 is a pattern, not chance
# (all zeros, a counter padded with zeros), with a probability far below 1e-9 for a real one.
MIN_DISTINCT_DIGITS = 8


def new_session_id() -> str:
    return secrets.token_hex(16)


def acceptable_session_id(value: Any) -> bool:
    """True for an id that looks like 128 random bits, never a name or a counter."""
    return (isinstance(value, str) and SESSION_ID.fullmatch(value) is not None
            and len(set(value)) >= MIN_DISTINCT_DIGITS)


def running_agent() -> Any:
    """The agent of the Sanic app this process serves (Rasa runs one), if there is one."""
    try:
        return Sanic.get_app().ctx.agent
    except (SanicException, AttributeError):
        return None


def page_region(metadata: Dict, tracker: Any) -> Dict:
    """The widget sends its region with every message. It sets the conversation's region until
    the conversation has one; after that only when the visitor picked it (`region_chosen`), so a
    place the person named ("I'm in Manchester") is not undone by the page's default."""
    chosen = metadata.pop("region_chosen", False) is True
    if not chosen and region_is_known(tracker):
        return {k: v for k, v in metadata.items() if k not in ("region", "country")}
    return metadata


def message_metadata(data: Dict, key: Text) -> Dict:
    """The message's metadata as a dict; anything malformed is ignored, not fatal."""
    metadata = data.get(key) or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    return metadata if isinstance(metadata, dict) else {}


class OriginCheck:
    """engine.io's origin callback: the configured pages, and this server's own origin (it serves
    no pages, but non-browser clients such as python-socketio send it)."""

    def __init__(self, origins: List[Text]) -> None:
        self.origins = set(origins)

    def __call__(self, origin: Text, environ: Dict) -> bool:
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin in self.origins or origin == own


class WaypointSocketIOInput(SocketIOInput):
    """Socket.IO with session persistence that answers, unguessable sessions and an Origin check."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WaypointSocketIOInput":
        channel = super().from_credentials(credentials)
        # Replies go to the session's room, so persistence is what makes a reconnect continue.
        channel.session_persistence = True
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: Dict[Text, Text] = {}  # socket id -> the session it was confirmed

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        sio.eio.cors_allowed_origins = OriginCheck(allowed_origins())

        async def join(sid: Text, requested: Any) -> Text:
            session_id = requested if acceptable_session_id(requested) else new_session_id()
            previous = self.sessions.get(sid)
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            self.sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            return session_id

        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            await join(sid, requested)

        async def handle_message(sid: Text, data: Any) -> None:

            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            # A message before any session_request joins the session it names, as a request would.
            session_id = self.sessions.get(sid) or await join(sid, data.get("session_id"))
            if data.get("session_id") not in (None, session_id):
                logger.warning("A socket sent a message for a session it was not confirmed; "
                               "handled in its own session instead.")
            tracker = await stored_tracker(running_agent(), session_id)
            text = screened(clean_text(data["message"][:MAX_MESSAGE_CHARS]), tracker)
            message = UserMessage(
                text,
                SocketIOOutput(sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata=page_region(message_metadata(data, self.metadata_key), tracker),
            )
            await on_new_message(message)

        async def disconnect(sid: Text, reason: Any = None) -> None:
            self.sessions.pop(sid, None)

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        sio.on("disconnect", disconnect, namespace=self.namespace)
        return socketio_webhook
