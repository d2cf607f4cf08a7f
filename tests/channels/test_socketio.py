"""The Socket.IO channel the widget uses, driven by a real Socket.IO client (python-socketio 5)
over both transports against the running assistant (`make run`'s start script)."""
import queue
from typing import Dict, List, Optional

import pytest
import socketio

from channels.socketio import acceptable_session_id

TRANSPORTS = ["websocket", "polling"]


class ChatClient:
    """One browser tab, as the widget is: connect, ask for a session, send, read replies."""

    def __init__(self, url: str, transport: str, origin: Optional[str] = None):
        self.events: "queue.Queue" = queue.Queue()
        # websocket-client sends its own Origin header unless told which one to send.
        self.sio = socketio.Client(reconnection=False, websocket_extra_options=(
            {"origin": origin} if origin else {}))
        self.sio.on("session_confirm", lambda sid: self.events.put(("confirm", sid)))
        self.sio.on("bot_uttered", lambda message: self.events.put(("bot", message)))
        headers = {"Origin": origin} if origin and transport == "polling" else {}
        self.sio.connect(url, transports=[transport], headers=headers, wait_timeout=10)
        self.session_id: Optional[str] = None

    def request_session(self, session_id: Optional[str] = None) -> str:
        self.sio.emit("session_request", {"session_id": session_id})
        kind, confirmed = self.events.get(timeout=10)
        assert kind == "confirm"
        self.session_id = confirmed
        return confirmed

    def send(self, text: str, metadata: Optional[Dict] = None,
             session_id: Optional[str] = None) -> List[Dict]:
        """Sends a message; returns the bot messages of this turn."""
        self.sio.emit("user_uttered", {"message": text,
                                       "session_id": session_id or self.session_id,
                                       "metadata": metadata or {}})
        return self.replies()

    def replies(self, first_timeout: float = 30, quiet: float = 1.0) -> List[Dict]:
        """The bot messages that arrive until the channel has been quiet for `quiet` seconds."""
        messages = []
        try:
            messages.append(self._bot(self.events.get(timeout=first_timeout)))
            while True:
                messages.append(self._bot(self.events.get(timeout=quiet)))
        except queue.Empty:
            return messages

    @staticmethod
    def _bot(event):
        kind, message = event
        assert kind == "bot", event
        return message

    def close(self):
        # Closes the transport without waiting for a pending long-poll (up to 25 s) to return.
        self.sio.eio.disconnect(abort=True)


@pytest.fixture
def connect(running_assistant):
    clients = []

    def _connect(transport: str, origin: Optional[str] = None) -> ChatClient:
        client = ChatClient(running_assistant.url, transport, origin)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_answers_with_buttons_and_emergency_first(connect, transport):
    client = connect(transport)
    session = client.request_session()
    assert acceptable_session_id(session)

    hello = client.send("hello")
    assert "automated educational tool" in hello[0]["text"]

    unclear = client.send("relapse")
    choices = [reply for message in unclear for reply in message.get("quick_replies", [])]
    assert "Did you mean" in unclear[0]["text"] and len(choices) >= 2
    # Pressing a button sends its payload; the assistant answers that choice.
    pressed = client.send(choices[0]["payload"])
    assert pressed and pressed[0]["text"] and "Did you mean" not in pressed[0]["text"]

    overdose = client.send("my friend took too much and is not breathing")
    assert overdose[0]["text"].startswith("Call 911 now")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_region_metadata_gives_that_regions_numbers(connect, transport):
    client = connect(transport)
    client.request_session()
    replies = client.send("my friend is not breathing after using", metadata={"region": "UK"})
    assert replies[0]["text"].startswith("Call 999 now")
    assert "911" not in replies[0]["text"]


def test_sessions_are_isolated(connect):
    alice, bob = connect("websocket"), connect("polling")
    alice_session, bob_session = alice.request_session(), bob.request_session()
    assert alice_session != bob_session
    alice.send("hello")
    assert bob.events.empty()  # nothing of Alice's conversation reaches Bob's socket
    # Bob names Alice's session in a message: it is handled in his own session, not hers.
    answer = bob.send("hello", session_id=alice_session)
    assert answer[0]["text"].startswith("Hi") and not answer[0]["text"].startswith("Hi again")
    assert alice.events.empty()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reconnecting_with_the_session_id_continues_the_conversation(connect, transport):
    first = connect(transport)
    session = first.request_session()
    first.send("hello")
    first.close()

    again = connect(transport)
    assert again.request_session(session) == session
    # The assistant remembers this conversation: a second hello is greeted as a return.
    assert again.send("hello")[0]["text"].startswith("Hi again")


@pytest.mark.parametrize("chosen", ["alice", "1", "0" * 32, "a" * 32, "00000000000000000000000000000002",
                                    "ABCDEF0123456789ABCDEF0123456789", None, 42])
def test_names_counters_and_patterns_are_never_session_ids(connect, chosen):
    client = connect("websocket")
    issued = client.request_session(chosen)
    assert issued != chosen and acceptable_session_id(issued)


def test_ids_the_server_issues_are_random():
    from channels.socketio import new_session_id
    issued = {new_session_id() for _ in range(1000)}
    assert len(issued) == 1000 and all(acceptable_session_id(i) for i in issued)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_only_configured_origins_may_connect(connect, running_assistant, transport):
    # run.sh allows the demo page's origin by default (WAYPOINT_ALLOWED_ORIGINS).
    page = running_assistant.page_url.rstrip("/")
    assert connect(transport, origin=page).request_session()
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(transport, origin="https://attacker.example")


def test_malformed_messages_are_ignored_and_the_socket_keeps_working(connect):
    client = connect("websocket")
    client.request_session()
    for bad in (None, "text", {"message": 5}, {"message": "hi", "metadata": "{not json"}):
        client.sio.emit("user_uttered", bad)
    answered = client.replies(first_timeout=30)  # the last one, its bad metadata ignored
    assert answered and answered[0]["text"].startswith("Hi")
    assert "Call 911 now" in client.send("he overdosed")[0]["text"]


def test_a_place_the_person_names_is_not_undone_by_the_pages_default_region(connect):
    client = connect("websocket")
    client.request_session()
    page = {"region": "US"}  # the widget sends its region with every message
    assert client.send("I'm in Manchester, my friend took something and is acting odd",
                       metadata=page)
    assert client.send("now he won't wake up", metadata=page)[0]["text"].startswith(
        "Call 999 now")
    # Picked by the visitor in the region picker, the page's region wins again.
    chosen = client.send("he is still not breathing", metadata={"region": "US",
                                                                 "region_chosen": True})
    assert chosen[0]["text"].startswith("Call 911 now")


def test_slash_text_is_a_command_only_when_a_button_offered_it(connect):
    client = connect("websocket")
    client.request_session()
    # Typed (white space first, as Rasa strips it): words, not the deletion's "yes".
    client.send("/delete_conversation")
    answer = client.send(" \n/ /affirm")
    assert not any("conversation is deleted" in m.get("text", "") for m in answer)
