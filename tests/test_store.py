"""The store on SQLite and PostgreSQL: migrations on first use, constraints, all-or-nothing sessions."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from govinspect.store import Store, open_store
from govinspect.store.db import current_revision, head_revision, normalise_url
from govinspect.store.models import Account, Site, Unit


def _site(unit: Unit, code: str = "3611000003") -> Site:
    return Site(
        site_code=code,
        name="上饶市人民政府",
        url="http://www.zgsr.gov.cn/",
        unit=unit,
        region="上饶市",
        division_code=code[:6],
        category="市级门户",
    )


def test_first_use_migrates_to_head_and_reopening_is_a_no_op(store_url: str) -> None:
    first = open_store(store_url)
    assert current_revision(first.engine) == head_revision()
    first.dispose()
    second = open_store(store_url)
    assert current_revision(second.engine) == head_revision()
    with second.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 0
    second.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x' / 'g.db'}")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.dispose()


def test_site_code_is_unique(store: Store) -> None:
    with store.session() as session:
        unit = Unit(name="上饶市人民政府办公室")
        session.add(_site(unit))
    with pytest.raises(IntegrityError), store.session() as session:
        unit = session.scalar(select(Unit))
        assert unit is not None
        session.add(_site(unit))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Site)) == 1


def test_account_key_is_platform_and_id(store: Store) -> None:
    with store.session() as session:
        unit = Unit(name="上饶市人力资源和社会保障局")
        for platform in ("微信公众号", "微博"):
            session.add(
                Account(
                    platform=platform, account_id="srrs", account_name="上饶人社", unit=unit, region="上饶市"
                )
            )
    with pytest.raises(IntegrityError), store.session() as session:
        unit = session.scalar(select(Unit))
        session.add(Account(platform="微博", account_id="srrs", account_name="x", unit=unit, region="上饶市"))


def test_a_failed_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(_site(Unit(name="某单位")))
        session.flush()
        raise RuntimeError("interrupted")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0
        assert session.scalar(select(func.count()).select_from(Site)) == 0


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        site = _site(Unit(name="u"))
        site.unit = None  # type: ignore[assignment]
        site.unit_id = 999_999
        session.add(site)


def _open_and_count(url: str) -> int:
    store = open_store(url)
    with store.session() as session:
        count = session.scalar(select(func.count()).select_from(Site)) or 0
    store.dispose()
    return count


def test_concurrent_first_use_migrates_once(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        assert pool.map(_open_and_count, [store_url] * 4) == [0] * 4
    store = open_store(store_url)
    assert current_revision(store.engine) == head_revision()
    store.dispose()


def test_plain_postgresql_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
