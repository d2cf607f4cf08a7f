"""Numbered choices across turns: on platforms without buttons, the user's "2" (or the option's
words) presses the second button of the assistant's last message. The offer is read back from
the conversation's own tracker, so it holds across restarts and several server instances."""
import re
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


# Commands a client may send although no button offered them: the widget's "delete my
# conversation" control starts the existing erasure this way.
STANDING_COMMANDS = {"/delete_conversation"}
LEADING_SLASHES = re.compile(r"^[\s/]+")


def offered_payloads(tracker: Optional[DialogueStateTracker]) -> set:
    """Every button payload the assistant has offered in this conversation."""
    return {button.get("payload") for event in (tracker.events if tracker else [])
            if isinstance(event, BotUttered) for button in event.data.get("buttons") or []}


def screened(text: Text, tracker: Optional[DialogueStateTracker]) -> Text:
    """Rasa reads any text that starts with "/" (after white space) as an intent, on every
    channel, skipping NLU and the crisis detector: "/affirm", "/crisis_overdose{...}". Only what
    a button offered (or a standing command) goes through as such; anything else is the
    person's words, with the leading slashes dropped."""
    stripped = text.strip()
    if (not stripped.startswith("/") or stripped in STANDING_COMMANDS
            or stripped in offered_payloads(tracker)):
        return text
    return LEADING_SLASHES.sub("", text) or text


def typed_text(text: Text, tracker: Optional[DialogueStateTracker]) -> Text:
    """What a typed message stands for: the payload of the offered button it picks ("2", or the
    option's words), else the text, screened."""
    return choice_payload(text, offered_buttons(tracker)) or screened(text, tracker)


async def screen_command(agent, sender_id: Text, text: Text) -> Text:
    """`screened`, for channels that have the agent rather than the tracker at hand."""
    if not text.strip().startswith("/"):
        return text
    store = getattr(agent, "tracker_store", None)
    return screened(text, await store.retrieve(sender_id) if store else None)
