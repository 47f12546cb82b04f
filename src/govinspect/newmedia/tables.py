"""The new-media tables (migration 0008): account settings, collected posts, source states, runs and results.

Posts and source states are keyed by (platform, account ID), not by registry row: an imported list or a site's
matrix page can show an account the registry does not have (瞒报漏报), and its posts are kept all the same.
Results mirror the site results (store/results.py): one row per account and run, findings with evidence.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govinspect.store.models import Account, Base, utcnow


class AccountSettings(Base):
    """What the registry row does not say: the account's menu (None: not known) and where its posts are."""

    __tablename__ = "newmedia_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_pk: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    menu: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [{"name", "url", "reply"}]; [] = no menu
    sources: Mapped[list] = mapped_column(JSON, default=list)  # [{"url", "kind"}]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    account: Mapped[Account] = relationship()


class PostRow(Base):
    __tablename__ = "newmedia_posts"
    __table_args__ = (
        UniqueConstraint(
            "platform", "account_id", "post_key", name="uq_newmedia_posts_platform_account_id_post_key"
        ),
        Index("ix_newmedia_posts_platform_account_id", "platform", "account_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(200))
    post_key: Mapped[str] = mapped_column(String(40))
    post_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(20))  # feed | page | import | an adapter's kind
    source_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)  # last seen
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SourceState(Base):
    """The last fetch of one source of one account (feed, page, menu link): for conditional re-collection and
    as evidence (a closed account's notice, a menu link that does not answer)."""

    __tablename__ = "newmedia_sources"
    __table_args__ = (
        UniqueConstraint("platform", "account_id", "kind", "url_hash", name="uq_newmedia_sources_identity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(40))
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(40))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    items: Mapped[int] = mapped_column(Integer, default=0)
    closed_text: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[list] = mapped_column(JSON, default=list)  # menu links: [[status, error], …]
    first_fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NewMediaRun(Base):
    __tablename__ = "newmedia_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str | None] = mapped_column(String(10), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    profile: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="running", index=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    results: Mapped[list[AccountResult]] = relationship(back_populates="run", cascade="all, delete-orphan")


class AccountResult(Base):
    """One account's result in a run. ``verdict`` is None for an account that was not judged (closed in the
    registry, or not in it at all) but has reconciliation findings."""

    __tablename__ = "account_results"
    __table_args__ = (
        UniqueConstraint(
            "run_id", "platform", "account_id", name="uq_account_results_run_id_platform_account_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("newmedia_runs.id", ondelete="CASCADE"), index=True)
    account_pk: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    account_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str | None] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    vetoes: Mapped[list] = mapped_column(JSON, default=list)
    fired: Mapped[list] = mapped_column(JSON, default=list)
    deductions: Mapped[list] = mapped_column(JSON, default=list)
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # a summary: latest post, posts read, sources
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    run: Mapped[NewMediaRun] = relationship(back_populates="results")
    findings: Mapped[list[AccountFindingRow]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="AccountFindingRow.id"
    )


class AccountFindingRow(Base):
    __tablename__ = "account_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("account_results.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    raw_severity: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    result: Mapped[AccountResult] = relationship(back_populates="findings")
