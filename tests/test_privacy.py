"""Deleting a conversation: through the real assistant, on the real SQLite tracker store."""
import sqlite3

import pytest
from rasa.utils.endpoints import EndpointConfig

from conftest import Conversation, load_agent

SECRET = "I used heroin with my cousin Zebediah last night"


@pytest.fixture
def stored(loop, model_path, tmp_path):
    """The assistant with conversations kept in a fresh SQLite file, as `make run` keeps them."""
    db = tmp_path / "conversations.db"
    store = EndpointConfig(type="storage.sqlite_tracker_store.SQLiteTrackerStore", db=str(db))
    agent = load_agent(loop, model_path, None, tracker_store=store)
    return agent, db


def stored_events(db, sender_id):
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT data FROM events WHERE sender_id = ?", (sender_id,)).fetchall()


def file_bytes(db):
    return b"".join(path.read_bytes() for path in db.parent.glob(db.name + "*"))


def test_a_confirmed_deletion_removes_every_trace_of_the_conversation(stored, loop):
    agent, db = stored
    user = Conversation(agent, loop)
    other = Conversation(agent, loop)
    user.say(SECRET)
    other.say("what is methadone?")
    assert any("Zebediah" in row[0] for row in stored_events(db, user.sender_id))

    replies = user.send("please delete this conversation")
    assert "delete" in replies[0]["text"].lower()
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]
    assert "deleted" in user.say("/affirm").lower()

    assert stored_events(db, user.sender_id) == []
    assert b"Zebediah" not in file_bytes(db), "deleted text must not linger in the file"
    assert stored_events(db, other.sender_id), "other conversations are untouched"
    # The next message starts a new conversation with nothing of the old one.
    user.say("hello")
    texts = [e.text for e in user.tracker.events if getattr(e, "text", None)]
    assert not any("Zebediah" in t for t in texts)


def test_declining_keeps_the_conversation(stored, loop):
    agent, db = stored
    user = Conversation(agent, loop)
    user.say(SECRET)
    user.say("can you erase what I told you")
    assert "nothing was deleted" in user.say("/deny").lower()
    assert any("Zebediah" in row[0] for row in stored_events(db, user.sender_id))


def test_deletion_works_without_the_action_server(loop, model_path, tmp_path):
    db = tmp_path / "conversations.db"
    store = EndpointConfig(type="storage.sqlite_tracker_store.SQLiteTrackerStore", db=str(db))
    agent = load_agent(loop, model_path, "http://127.0.0.1:9/webhook", tracker_store=store)
    user = Conversation(agent, loop)
    user.say(SECRET)
    user.say("delete my chat history")
    user.say("/affirm")
    assert stored_events(db, user.sender_id) == []


@pytest.mark.parametrize("answer, deleted", [("/affirm", True), ("yes", True), ("/deny", False)])
def test_deletion_works_right_after_a_crisis_reply(stored, loop, answer, deleted):
    """After a crisis reply every answer is followed by an emergency reminder for a few turns;
    the reminder after the deletion question must not stop the confirmation from working."""
    agent, db = stored
    user = Conversation(agent, loop)
    assert user.say("my friend is not breathing").startswith("Call 911 now")
    replies = user.send("/delete_conversation")
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]
    reply = user.say(answer).lower()
    assert ("this conversation is deleted" in reply) is deleted
    assert (stored_events(db, user.sender_id) == []) is deleted


def test_deletion_works_when_the_request_mentions_an_emergency_topic(stored, loop):
    """A message that mentions an emergency topic gets a short emergency line after its answer;
    after the deletion question that line would stand between the question and the yes."""
    agent, db = stored
    user = Conversation(agent, loop)
    user.say(SECRET)
    # The detector's reading of a message that asks to delete and mentions an overdose (worded
    # ones are read as crises today, the safe side), given here as the payload's entity.
    replies = user.send('/delete_conversation{"emergency_mention": "overdose"}')
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/affirm", "/deny"]
    assert "this conversation is deleted" in user.say("yes").lower()
    assert stored_events(db, user.sender_id) == []
