"""Inspection runs and their stored results: per-site verdicts, findings, and the site model they came from.

The site model is stored as JSON with each result, so a run can be re-checked and re-scored under another
profile or ``as_of`` without crawling again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govinspect.store.models import Base, Site, utcnow


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="inspect")  # inspect | rescore | recheck | import
    period: Mapped[str | None] = mapped_column(String(10), index=True)  # e.g. 2020Q1
    as_of: Mapped[date] = mapped_column(Date)
    profile: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="running", index=True)  # running|finished|failed
    crawl_id: Mapped[int | None] = mapped_column(ForeignKey("crawls.id", ondelete="SET NULL"))
    source_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", name="fk_runs_plan_id_plans", ondelete="SET NULL"), index=True
    )  # the plan a ``run start`` inspected (migration 0005)

    results: Mapped[list[SiteResult]] = relationship(back_populates="run", cascade="all, delete-orphan")


class SiteResult(Base):
    __tablename__ = "site_results"
    __table_args__ = (UniqueConstraint("run_id", "site_id", name="uq_site_results_run_id_site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(10), index=True)
    verdict: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    part2: Mapped[float | None] = mapped_column(Float)
    part3: Mapped[float | None] = mapped_column(Float)
    vetoes: Mapped[list] = mapped_column(JSON, default=list)  # names, in profile order
    fired: Mapped[list] = mapped_column(JSON, default=list)  # which rule and condition fired, with counts
    deductions: Mapped[list] = mapped_column(JSON, default=list)
    has_services: Mapped[bool] = mapped_column(Boolean, default=True)
    model: Mapped[dict] = mapped_column(JSON, default=dict)  # the site model, for re-scoring
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    run: Mapped[Run] = relationship(back_populates="results")
    site: Mapped[Site] = relationship()
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="result", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("site_results.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10))  # as scored: veto | deduction | notice
    raw_severity: Mapped[str] = mapped_column(String(10))  # as the check said it
    url: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    snapshot_id: Mapped[int | None] = mapped_column(Integer)

    result: Mapped[SiteResult] = relationship(back_populates="findings")


class ColumnOverride(Base):
    """An inspector's correction of one discovered column: its class, its update period, or "ignore"."""

    __tablename__ = "column_overrides"
    __table_args__ = (UniqueConstraint("site_code", "url", name="uq_column_overrides_site_code_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_code: Mapped[str] = mapped_column(String(10), index=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(200))
    column_class: Mapped[str | None] = mapped_column(String(40))
    max_age_days: Mapped[int | None] = mapped_column(Integer)
    ignore: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Plan(Base):
    """A run plan (抽查/复查): which sites one period's inspection covers, drawn reproducibly from the registry.

    ``ratio`` is kept as written (``0.6``, ``60%``) so the exact fraction is redrawn; None with ``full`` for --all.
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    ratio: Mapped[str | None] = mapped_column(String(20))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    strata: Mapped[list] = mapped_column(JSON, default=list)  # the --by fields, in order
    seed: Mapped[int] = mapped_column(BigInteger)
    include_failed_from: Mapped[str | None] = mapped_column(String(10))
    population: Mapped[int] = mapped_column(Integer, default=0)  # running sites when the plan was drawn
    totals: Mapped[list] = mapped_column(JSON, default=list)  # [{"stratum": [...], "total": n}] at that time
    notes: Mapped[list] = mapped_column(JSON, default=list)  # what was left out and why (Chinese)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    sites: Mapped[list[PlanSite]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanSite.id"
    )


class PlanSite(Base):
    """One site of a plan: its stratum and why it is in (a portal, a 复查 of last period's failure, drawn)."""

    __tablename__ = "plan_sites"
    __table_args__ = (UniqueConstraint("plan_id", "site_id", name="uq_plan_sites_plan_id_site_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(10))
    stratum: Mapped[list] = mapped_column(JSON, default=list)  # the site's values of the plan's strata fields
    portal: Mapped[bool] = mapped_column(Boolean, default=False)
    recheck: Mapped[bool] = mapped_column(Boolean, default=False)
    drawn: Mapped[bool] = mapped_column(Boolean, default=False)  # in by the random draw (not by rule)

    plan: Mapped[Plan] = relationship(back_populates="sites")
    site: Mapped[Site] = relationship()
