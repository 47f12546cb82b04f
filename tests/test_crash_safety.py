"""Crash safety: the CLI killed with SIGKILL (no handler runs, no atexit, the crawl child killed with it) during a
registry import, an inspection and a report, on SQLite (WAL) and PostgreSQL. Afterwards the database is
consistent (SQLite's integrity check; every finding hangs off a stored result), nothing committed before the
kill is lost, and the work re-runs or resumes without duplicates.

The kill lands where it lands (a loaded machine shifts it): the properties hold at any point, and each test
checks that the process was in fact killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from govinspect.farm import Farm
from govinspect.registry.tabular import write_table
from govinspect.registry.validate import SITE_HEADERS
from govinspect.store import open_store
from govinspect.store.models import Site
from govinspect.store.results import FindingRow, Run, SiteResult

# Heavy (CLI subprocesses, real inspections): run by `python -m bench.reliability` and with GOVINSPECT_HEAVY=1.
HEAVY = pytest.mark.skipif(
    not os.environ.get("GOVINSPECT_HEAVY"),
    reason="重负载测试：设置 GOVINSPECT_HEAVY=1 或运行 python -m bench.reliability",
)
pytestmark = [HEAVY, pytest.mark.timeout(900)]


def _env(home: Path, url: str) -> dict[str, str]:
    return os.environ | {"GOVINSPECT_HOME": str(home), "GOVINSPECT_DATABASE_URL": url, "COLUMNS": "200"}


def _cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "govinspect"), *args]


def _run(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _kill_when(
    args: list[str], env: dict[str, str], ready: Callable[[], bool], *, limit: float = 180
) -> tuple[int, bool]:
    """Start the CLI in its own process group, SIGKILL the whole group as soon as ``ready()``; returns the exit
    code and whether it was killed before it finished."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + limit
    killed = False
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    return proc.returncode, killed


def _consistent(url: str) -> None:
    store = open_store(url)
    try:
        with store.session() as session:
            if url.startswith("sqlite"):
                assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert session.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            orphans = session.scalar(
                select(func.count(FindingRow.id)).where(~FindingRow.result_id.in_(select(SiteResult.id)))
            )
            assert orphans == 0
            doubled = session.execute(
                select(SiteResult.run_id, SiteResult.site_code)
                .group_by(SiteResult.run_id, SiteResult.site_code)
                .having(func.count() > 1)
            ).fetchall()
            assert doubled == []
    finally:
        store.dispose()


def _count(url: str, query) -> int:  # type: ignore[no-untyped-def]
    store = open_store(url)
    try:
        with store.session() as session:
            return int(session.scalar(query) or 0)
    except Exception:  # the tables may not exist yet (the CLI was killed while migrating)
        return 0
    finally:
        store.dispose()


def test_registry_import_killed_then_rerun(store_url: str, tmp_path: Path) -> None:
    rows = [
        [
            f"3611{n:06d}",
            f"测试网站{n}",
            f"http://www.t{n}.gov.cn/",
            f"测试单位{n}",
            "上饶市",
            "县级门户",
            "运行",
            "",
            "",
        ]
        for n in range(1500)
    ]
    path = tmp_path / "big.csv"
    write_table(path, list(SITE_HEADERS), rows)
    env = _env(tmp_path / "home", store_url)
    started = time.monotonic()
    # Killed a moment after start: while Python starts, migrates, reads or writes (any of them is fine).
    code, killed = _kill_when(
        _cli("registry", "import", str(path)), env, lambda: time.monotonic() - started > 2.5
    )
    assert killed and code == -signal.SIGKILL
    before = _count(store_url, select(func.count(Site.id)))
    assert before in (0, len(rows))  # one transaction: all or nothing
    _consistent(store_url) if before else None
    done = _run(_cli("registry", "import", str(path)), env)
    assert done.returncode == 0, done.stdout + done.stderr
    again = _run(_cli("registry", "import", str(path)), env)  # the same file twice: updates, no new rows
    assert again.returncode == 0, again.stdout + again.stderr
    assert _count(store_url, select(func.count(Site.id))) == len(rows)
    assert _count(store_url, select(func.count(func.distinct(Site.site_code)))) == len(rows)
    _consistent(store_url)


def test_inspection_killed_then_resumed(store_url: str, farm_server: Farm, tmp_path: Path) -> None:
    env = _env(tmp_path / "home", store_url)
    assert _run(_cli("registry", "import", str(farm_server.registry_csv)), env).returncode == 0
    codes = [s.site_code for s in farm_server.sites if s.behaviour is None and not s.down][:3]
    args = _cli(
        "inspect",
        *(a for c in codes for a in ("--site", c)),
        "--as-of",
        farm_server.as_of.isoformat(),
        "--allow-private-networks",
        "--max-pages",
        "6",
        "--ca-file",
        str(farm_server.ca_file),
    )
    results = select(func.count(SiteResult.id))
    code, killed = _kill_when(args, env, lambda: _count(store_url, results) >= 1)
    assert killed and code == -signal.SIGKILL, "the inspection finished before a result was stored"
    store = open_store(store_url)
    with store.session() as session:
        run_id, status = session.execute(select(Run.id, Run.status)).one()
        kept = set(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))
    store.dispose()
    assert status != "finished" and kept  # the run is not marked done; what it stored is there
    _consistent(store_url)
    resumed = _run(
        _cli(
            "inspect",
            "--resume",
            str(run_id),
            "--allow-private-networks",
            "--ca-file",
            str(farm_server.ca_file),
        ),
        env,
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    store = open_store(store_url)
    with store.session() as session:
        stored = Counter(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))
        assert session.get(Run, run_id).status == "finished"  # type: ignore[union-attr]
    store.dispose()
    assert stored == Counter(codes)  # every site exactly once, the ones stored before the kill kept
    assert kept <= set(stored)
    _consistent(store_url)


def test_report_killed_then_rerun(store_url: str, farm_server: Farm, tmp_path: Path) -> None:
    env = _env(tmp_path / "home", store_url)
    assert _run(_cli("registry", "import", str(farm_server.registry_csv)), env).returncode == 0
    codes = [s.site_code for s in farm_server.sites if s.behaviour is None and not s.down][:2]
    inspected = _run(
        _cli(
            "inspect",
            *(a for c in codes for a in ("--site", c)),
            "--as-of",
            farm_server.as_of.isoformat(),
            "--allow-private-networks",
            "--max-pages",
            "4",
            "--period",
            "2020Q1",
        ),
        env,
    )
    assert inspected.returncode == 0, inspected.stdout[-2000:]
    out = tmp_path / "report"
    args = _cli("report", "--period", "2020Q1", "--out", str(out), "--no-pdf")
    started = time.monotonic()
    code, killed = _kill_when(args, env, lambda: time.monotonic() - started > 3.0)
    assert killed and code == -signal.SIGKILL
    _consistent(store_url)
    done = _run(args, env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    made = sorted(p.suffix for p in out.rglob("*") if p.is_file())
    assert ".docx" in made and ".xlsx" in made, made
    for docx in out.rglob("*.docx"):  # the files re-run wrote are whole (a DOCX is a zip: it opens)
        import zipfile

        assert zipfile.ZipFile(docx).testzip() is None
    _consistent(store_url)
