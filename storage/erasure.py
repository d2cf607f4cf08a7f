"""Deleting a conversation when its user asks.

The assistant confirms a deletion with the response `utter_conversation_deleted` (a plain
response, so it is sent even when the action server is down). A tracker store that finds that
response in the turn it is saving deletes every stored event of the conversation instead of
saving the turn: the next message starts a new, empty conversation.
"""
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

ERASE_RESPONSE = "utter_conversation_deleted"


def asks_to_erase(tracker: DialogueStateTracker) -> bool:
    """True when the newest turn (the events since the last user message) confirmed deletion."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, ActionExecuted) and event.action_name == ERASE_RESPONSE:
            return True
    return False
