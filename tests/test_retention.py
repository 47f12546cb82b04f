"""Snapshot retention (store/retention.py) on SQLite and PostgreSQL, through ``govinspect snapshots prune``: old
snapshots and their bodies go, except each site's last crawls, evidence of findings and tickets, and bodies
another snapshot still uses."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govinspect.config import load_settings
from govinspect.registry import service
from govinspect.store import open_store
from govinspect.store.models import Site, Snapshot
from govinspect.store.results import FindingRow, Run, SiteResult
from govinspect.store.snapshots import SnapshotRecord, SnapshotStore

NOW = datetime.now(UTC)


def _page(code: str, url: str, crawl_id: int, body: bytes, days_ago: int) -> SnapshotRecord:
    return SnapshotRecord(
        site_code=code,
        url=url,
        crawl_id=crawl_id,
        status=200,
        body=body,
        fetched_at=NOW - timedelta(days=days_ago),
    )


def test_prune_keeps_recent_crawls_evidence_and_shared_bodies(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govinspect.cli import app

    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOVINSPECT_DATABASE_URL", store_url)
    settings = load_settings()
    store = open_store(store_url)
    registry = tmp_path / "sites.csv"
    registry.write_text(
        "网站标识码,网站名称,首页网址,主办单位,所属地区,类别\n"
        "4401000001,某市人民政府,http://a.example.gov.cn/,某市人民政府办公室,某市,市级门户\n"
        "4401000002,某县人民政府,http://b.example.gov.cn/,某县人民政府办公室,某市,县级门户\n",
        encoding="utf-8-sig",
    )
    service.import_file(store, registry)
    snaps = SnapshotStore(store, settings.snapshots_dir)
    a, b = "4401000001", "4401000002"
    crawls = [snaps.start_crawl({}) for _ in range(6)]  # crawl i fetched 300 - 10 i days ago
    ids: dict[str, int] = {}
    ids["a0"] = snaps.save(_page(a, "http://a.example.gov.cn/", crawls[0], b"<p>old 0</p>", 300))
    ids["b0"] = snaps.save(_page(b, "http://b.example.gov.cn/", crawls[0], b"<p>b only</p>", 300))
    ids["a1"] = snaps.save(_page(a, "http://a.example.gov.cn/", crawls[1], b"<p>same</p>", 290))
    ids["a1x"] = snaps.save(_page(a, "http://a.example.gov.cn/x", crawls[1], b"<p>gone</p>", 290))
    for i in range(2, 6):
        body = b"<p>same</p>" if i == 5 else f"<p>kept {i}</p>".encode()
        ids[f"a{i}"] = snaps.save(_page(a, "http://a.example.gov.cn/", crawls[i], body, 300 - 10 * i))
    gone_path = snaps.blobs.path(snaps.get(ids["a1x"]).body_sha256)  # type: ignore[union-attr,arg-type]
    assert gone_path.exists()
    with store.session() as session:  # crawl 0's page of site A is a finding's evidence
        site = session.scalars(select(Site).where(Site.site_code == a)).one()
        run = Run(as_of=NOW.date(), profile="national-2019")
        session.add(run)
        session.flush()
        result = SiteResult(run_id=run.id, site_id=site.id, site_code=a, verdict="不合格", model={})
        result.findings.append(
            FindingRow(
                check="content.x",
                severity="veto",
                raw_severity="veto",
                url="http://a.example.gov.cn/",
                message="证据",
                evidence={},
                snapshot_id=ids["a0"],
            )
        )
        session.add(result)
    runner = CliRunner()

    # nothing is older than 400 days; a dry run at 120 days counts without deleting
    kept = runner.invoke(app, ["snapshots", "prune", "--keep-days", "400"])
    assert kept.exit_code == 0, kept.output
    assert "网页快照 0 条" in kept.output
    dry = runner.invoke(app, ["snapshots", "prune", "--keep-days", "120", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "将删除" in dry.output and "网页快照 2 条，正文文件 1 个" in dry.output
    with store.session() as session:
        assert len(session.scalars(select(Snapshot.id)).all()) == 8
    done = runner.invoke(app, ["snapshots", "prune", "--keep-days", "120"])
    assert done.exit_code == 0, done.output
    assert "已删除" in done.output and "网页快照 2 条，正文文件 1 个" in done.output
    assert "最近几次抓取的 5 条、作为问题证据的 1 条" in done.output
    with store.session() as session:
        left = set(session.scalars(select(Snapshot.id)))
    assert left == set(ids.values()) - {ids["a1"], ids["a1x"]}
    assert not gone_path.exists()
    assert snaps.body(ids["a5"]) == b"<p>same</p>"  # the body crawl 1 shared with crawl 5 stays
    assert snaps.body(ids["a0"]) == b"<p>old 0</p>"  # evidence
    assert snaps.body(ids["b0"]) == b"<p>b only</p>"  # site B's latest crawl, however old

    # --sweep: this machine's body files no row names, older than a day (another worker's prune removed
    # their rows); a fresh one may belong to a crawl writing now and stays
    stale, fresh = snaps.blobs.put(b"<p>orphan</p>"), snaps.blobs.put(b"<p>just written</p>")
    old = (NOW - timedelta(days=2)).timestamp()
    os.utime(snaps.blobs.path(stale), (old, old))
    kept_sha = snaps.get(ids["a2"]).body_sha256  # type: ignore[union-attr]
    assert kept_sha is not None
    os.utime(snaps.blobs.path(kept_sha), (old, old))  # old, but a snapshot names it
    swept = runner.invoke(app, ["snapshots", "prune", "--keep-days", "400", "--sweep"])
    assert swept.exit_code == 0, swept.output
    assert "已无快照引用的正文文件 1 个" in swept.output
    assert not snaps.blobs.path(stale).exists() and snaps.blobs.has(fresh) and snaps.blobs.has(kept_sha)
    store.dispose()
