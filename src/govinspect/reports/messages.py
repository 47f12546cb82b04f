"""Message-handling statistics (受理, 办结, 办结率, 办结平均时长) from the stored site models.

Only the ``interaction`` part of each stored model is read (a JSON path in the query, not the whole model),
turned back into :class:`~govinspect.extract.model.Interaction` by its type hints, and counted by
:func:`govinspect.checks.interaction.interaction_stats` -- the same counting the interaction checks print, with
the working-day calendar (the day of receipt not counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.checks.interaction import interaction_stats
from govinspect.extract.model import Interaction, Message
from govinspect.reports.records import MessageStats
from govinspect.runs.serialize import read_dataclass
from govinspect.store.results import SiteResult

CHUNK = 200


def stats_of(
    messages: Iterable[Message], start: date | None = None, end: date | None = None
) -> MessageStats | None:
    """None when no message was received in the window (the site is left out of the table)."""
    stats = interaction_stats(list(messages), start=start, end=end)
    if not stats.received:
        return None
    return MessageStats(stats.received, stats.answered, stats.timed, stats.mean_working_days)


def load_messages(session: Session, result_ids: Sequence[int]) -> dict[int, tuple[Message, ...]]:
    """Each stored result's messages (results without any are left out)."""
    found: dict[int, tuple[Message, ...]] = {}
    path = SiteResult.model["interaction"]
    for start in range(0, len(result_ids), CHUNK):
        chunk = result_ids[start : start + CHUNK]
        for result_id, data in session.execute(select(SiteResult.id, path).where(SiteResult.id.in_(chunk))):
            if not isinstance(data, dict) or not data.get("messages"):
                continue
            found[result_id] = read_dataclass(Interaction, data).messages
    return found
