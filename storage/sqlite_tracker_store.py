"""The embedded default tracker store: Rasa's SQL tracker store on a local SQLite file.

Four things Rasa's own SQLite set-up lacks:
- the folder of the database file is created if missing, so a fresh clone just works;
- the connection uses SQLite's write-ahead log with `synchronous=NORMAL`, so saving a turn costs
  no fsync (the file stays consistent after a crash; at worst the last turns are lost after a
  power cut), and a `busy_timeout`, so concurrent saves wait instead of failing.

endpoints.yml:
    tracker_store:
      type: storage.sqlite_tracker_store.SQLiteTrackerStore
      db: var/conversations.db
"""
from pathlib import Path
from typing import Any, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
import sqlalchemy
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from storage.erasure import asks_to_erase

POOL_SIZE = 4
# secure_delete overwrites deleted rows, so a deleted conversation is gone from the file too.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000",
           "PRAGMA secure_delete=ON")


class SQLiteTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain: Optional[Domain] = None,
        db: Text = "var/conversations.db",
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)  # Rasa passes the endpoint's url as `host`; a file has none.
        kwargs.pop("dialect", None)
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
        # One pooled engine in place of Rasa's, with the pragmas set on each new connection.
        # Rasa serves every message on one event-loop thread; the pool may hand a connection to
        # another thread only after it is returned, which SQLite allows without the check.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sqlalchemy.create_engine(
            url, poolclass=QueuePool, pool_size=POOL_SIZE, max_overflow=POOL_SIZE,
            connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if asks_to_erase(tracker):
            await self.delete(tracker.sender_id)
        else:
            await super().save(tracker)

    async def delete(self, sender_id: Text) -> None:
        """Deletes every stored event of one conversation, all its sessions included."""
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
            # Copy the overwritten pages back into the database file and empty the write-ahead
            # log, which still holds the conversation's old pages until then.
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _set_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
