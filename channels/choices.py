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


# Commands a client may send although no button offered them: the widget's "delete my
# conversation" control starts the existing erasure this way.
STANDING_COMMANDS = {"/delete_conversation"}


def offered_payloads(tracker: Optional[DialogueStateTracker]) -> set:
    """Every button payload the assistant has offered in this conversation."""
    return {button.get("payload") for event in (tracker.events if tracker else [])
            if isinstance(event, BotUttered) for button in event.data.get("buttons") or []}


async def screen_command(agent, sender_id: Text, text: Text) -> Text:
    """Rasa reads any text that starts with "/" as an intent, on every channel, skipping NLU and
    the crisis detector: "/affirm", "/crisis_overdose{...}". Only what a button offered (or a
    standing command) goes through as such; anything else is the person's text, slash dropped."""
    if not text.startswith("/") or text.strip() in STANDING_COMMANDS:
        return text
    tracker = await agent.tracker_store.retrieve(sender_id) if agent and agent.tracker_store \
        else None
    if text in offered_payloads(tracker):
        return text
    return text.lstrip("/ ") or text
