"""Shared fixtures. The farm's fixtures live in tests/fixtures_farm.py.

``store_url`` runs a test on SQLite and on PostgreSQL. PostgreSQL comes from ``GOVINSPECT_TEST_POSTGRES_URL``
(default: the CI server, postgresql://postgres@127.0.0.1:5432/test); each test gets a schema of its own that is
dropped afterwards. Where no server answers, the PostgreSQL case is skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from govinspect.store import Store, open_store

pytest_plugins = ["tests.fixtures_farm"]

POSTGRES_URL = os.environ.get("GOVINSPECT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_unavailable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL 不可用（{POSTGRES_URL}）：{exc}"


@pytest.fixture(scope="session")
def postgres_unavailable() -> str | None:
    return _postgres_unavailable()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_unavailable: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'govinspect.db'}"
        return
    if postgres_unavailable:
        pytest.skip(postgres_unavailable)
    import psycopg

    schema = f"gi_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.dispose()


def quick_cli_crawls(patch: pytest.MonkeyPatch) -> None:
    """``inspect`` and ``run start`` in this process (and the crawls they queue for a worker) without the waits
    of a polite crawl of real sites: no delay between a host's requests, homepage and link retries 0.2 s and
    0.05 s apart instead of 10 s and 2 s. The command line runs unchanged otherwise; a test of the farm's down
    site then waits 0.4 s for it, not 20 s."""
    from govinspect import cli

    made = cli._inspect_options

    def quick(*args, **kwargs):  # type: ignore[no-untyped-def]
        options = made(*args, **kwargs)
        crawl = replace(options.crawl, delay=0.0, homepage_retry_spacing_s=0.2, concurrency_per_host=4)
        return replace(options, crawl=crawl, links=replace(options.links, retry_spacing=0.05))

    patch.setattr(cli, "_inspect_options", quick)
