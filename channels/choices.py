"""Numbered choices across turns: on platforms without buttons, the user's "2" (or the option's
words) presses the second button of the assistant's last message. The offer is read back from
the conversation's own tracker, so it holds across restarts and several server instances."""
from typing import Dict, List, Optional, Text

from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.formatting import choice_payload


def offered_buttons(tracker: Optional[DialogueStateTracker]) -> List[Dict]:
    """The buttons of the assistant's last message with buttons since the user last spoke."""
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []


async def resolve_choice(agent, sender_id: Text, text: Text) -> Text:
    """The payload the text picks among the last offered buttons, else the text unchanged."""
    if agent is None or agent.tracker_store is None or not text:
        return text
    tracker = await agent.tracker_store.retrieve(sender_id)
    return choice_payload(text, offered_buttons(tracker)) or text
