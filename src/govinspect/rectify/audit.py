"""The audit trail: every action on a ticket or report is one inserted row, never changed, never removed.

Three guards: :func:`record` is the only writer; the ORM refuses to flush an update or delete of an
:class:`AuditEvent` and refuses bulk ``UPDATE``/``DELETE`` statements on the table; and the database refuses
both through triggers (migration 0007), for anyone who goes round the ORM.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from govinspect.store.models import utcnow
from govinspect.store.rectify import AuditEvent

# What each action is called where officials read the trail.
ACTIONS = {
    "open": "下发整改",
    "answer": "单位报整改完成",
    "attach": "上传附件",
    "recheck_requested": "发起复核",
    "recheck_closed": "复核通过，销号",
    "recheck_reopened": "复核未通过，退回整改",
    "recheck_uncovered": "复核未能覆盖问题页面",
    "recheck_failed": "复核失败",
    "close": "检查人员销号",
    "reopen": "检查人员退回整改",
    "deadline": "调整整改期限",
    "deadline_recomputed": "按新公布的节假日安排重算期限",
    "remind": "发送提醒",
    "report_received": "收到网民留言",
    "report_duplicate": "识别为重复留言",
    "report_valid": "核实属实并交办",
    "report_invalid": "核实不属实",
}


class AuditError(Exception):
    """An attempt to change or remove an audit row."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a dashboard user, the command line, the automatic re-check, or the public."""

    user_id: int | None
    name: str
    role: str  # admin | inspector | unit | cli | system | public
    unit_ids: frozenset[int] | None = None  # a unit user's units; None: every site

    @property
    def inspects(self) -> bool:
        """May open, close, reopen and triage (the office's side)."""
        return self.role in ("admin", "inspector", "cli", "system")

    def may_act_for(self, unit_id: int) -> bool:
        return self.role == "unit" and self.unit_ids is not None and unit_id in self.unit_ids

    def sees(self, unit_id: int) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids

    @classmethod
    def command_line(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "?"
        return cls(None, f"命令行（{who}）", "cli")

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "系统（自动复核）", "system")

    @classmethod
    def public(cls) -> Actor:
        return cls(None, "公众", "public", frozenset())


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    ticket_id: int | None = None,
    report_id: int | None = None,
    site_code: str | None = None,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = AuditEvent(
        at=at or utcnow(),
        actor_id=actor.user_id,
        actor=actor.name[:200],
        action=action,
        ticket_id=ticket_id,
        report_id=report_id,
        site_code=site_code,
        note=note,
        detail=detail or {},
    )
    session.add(row)
    return row


def trail(
    session: Session, *, ticket_id: int | None = None, report_id: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent)
    if ticket_id is not None and report_id is not None:
        query = query.where((AuditEvent.ticket_id == ticket_id) | (AuditEvent.report_id == report_id))
    elif ticket_id is not None:
        query = query.where(AuditEvent.ticket_id == ticket_id)
    elif report_id is not None:
        query = query.where(AuditEvent.report_id == report_id)
    return list(session.scalars(query.order_by(AuditEvent.id)))


# -- the ORM's guards ------------------------------------------------------------------------------------------


@event.listens_for(AuditEvent, "before_update")
def _no_update(_mapper, _connection, target) -> None:  # type: ignore[no-untyped-def]
    raise AuditError(f"操作记录只能追加，不能修改（记录 {target.id}）")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(_mapper, _connection, target) -> None:  # type: ignore[no-untyped-def]
    raise AuditError(f"操作记录只能追加，不能删除（记录 {target.id}）")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEvent.__tablename__:
        raise AuditError("操作记录只能追加，不能修改或删除")
