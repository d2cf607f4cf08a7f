"""What the connectors share: a memory of delivered ids (replays and the
platform's own re-deliveries), handling that outlives a hang-up, and the region a conversation
starts with.
"""
import asyncio
import logging
import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Hashable, Optional, Text

import yaml
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from safety.detection import region_from_metadata

logger = logging.getLogger(__name__)


class RecentIds:
    """The last `size` ids a platform delivered, in this process: cheap replay protection that
    does not survive a restart and is not shared between server instances."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: "OrderedDict[Hashable, None]" = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remembers the id; False if it was already there."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def forget(self, key: Hashable) -> None:
        self._ids.pop(key, None)


async def to_the_end(work: Awaitable[Any]) -> Any:
    """Awaits `work`. Sanic cancels a handler when the client hangs up (a platform's webhook
    timeout): the message then still gets its whole answer, and a later failure is logged."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_log_failure)
        raise


def _log_failure(task: "asyncio.Future") -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("A message failed after the platform hung up.", exc_info=task.exception())


def default_region(variable: Text) -> Optional[Text]:
    """The region named by an optional environment variable: one of our regions (UK) or an ISO
    country code (GB). Unset: none, so the assistant's own default (US) holds."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    region = region_from_metadata({"region": value})
    if region is None:
        raise ValueError(f"{variable}={value!r} is neither a region (US, UK, IE, CA, AU, EU, "
                         "OTHER) nor a two-letter country code")
    return region


async def stored_tracker(agent: Any, sender_id: Text) -> Optional[DialogueStateTracker]:
    """The conversation as stored (None when new), read before the message is handled."""
    if agent is None or agent.tracker_store is None:
        return None
    return await agent.tracker_store.retrieve(sender_id)


def region_is_known(tracker: Optional[DialogueStateTracker]) -> bool:
    """True once the conversation has a region, from the channel or from the user's own words.
    A channel sends its region only until then, so "I'm in Dublin" is not overridden by the
    next message's phone number or default."""
    return tracker is not None and any(
        isinstance(event, SlotSet) and event.key == "region" and event.value
        for event in tracker.applied_events())


def region_metadata(region: Optional[Text], tracker: Optional[DialogueStateTracker]) -> dict:
    return {"region": region} if region and not region_is_known(tracker) else {}


CRISIS_REPLIES = Path(__file__).resolve().parents[1] / "data" / "safety" / "crisis_replies.yml"


@lru_cache(maxsize=1)
def emergency_calls() -> dict:
    """Each region's "Call 911 now" (data/safety/crisis_replies.yml)."""
    regions = yaml.safe_load(CRISIS_REPLIES.read_text(encoding="utf-8"))["regions"]
    return {region: texts["en"]["call"] for region, texts in regions.items()}


def typed_only_reply(region: Optional[Text]) -> Text:
    """The answer to a photo, voice message or sticker: a voice note may be a call for help, so
    it carries the region's emergency call."""
    call = emergency_calls().get(region or "US", emergency_calls()["US"])
    return ("I can only read typed messages, so please type your question. "
            f"If someone is not breathing or won't wake up: {call}.")


def conversation_region(tracker: Optional[DialogueStateTracker],
                        channel_region: Optional[Text]) -> Optional[Text]:
    """The region the conversation has, else the one the channel gives."""
    known = tracker.get_slot("region") if region_is_known(tracker) else None
    return known or channel_region

