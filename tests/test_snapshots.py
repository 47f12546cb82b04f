"""The snapshot store on SQLite and PostgreSQL: content-addressed bodies, rows, latest, validators, crawls."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govinspect.store import Store
from govinspect.store.models import Crawl, Snapshot
from govinspect.store.snapshots import BlobStore, SnapshotRecord, SnapshotStore, body_sha256

GBK_PAGE = "<html><head><meta charset='utf-8'></head><body>政府信息公开</body></html>".encode("gbk")


def test_blobs_are_content_addressed_gzip_and_stored_once(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "snap")
    sha = blobs.put(GBK_PAGE)
    assert sha == body_sha256(GBK_PAGE)
    path = blobs.path(sha)
    assert path.parent.parent.name == sha[:2] and path.parent.name == sha[2:4]
    assert gzip.decompress(path.read_bytes()) == GBK_PAGE
    mtime = path.stat().st_mtime_ns
    assert blobs.put(GBK_PAGE) == sha and path.stat().st_mtime_ns == mtime
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind
    assert blobs.get(sha) == GBK_PAGE


def test_reading_a_blob_back_is_capped(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    sha = blobs.put(b"\0" * 100_000)
    with pytest.raises(ValueError):
        blobs.get(sha, max_bytes=1000)
    with pytest.raises(ValueError):
        blobs.path("../../etc/passwd")


def test_snapshots_round_trip(store: Store, tmp_path: Path) -> None:
    snaps = SnapshotStore(store, tmp_path / "snap")
    crawl_id = snaps.start_crawl({"obey_robots": False, "max_pages": 10})
    first = snaps.save(
        SnapshotRecord(
            site_code="3611000003",
            url="http://www.example.gov.cn/module/list.jsp?id=12&page=2",
            crawl_id=crawl_id,
            final_url="http://www.example.gov.cn/module/list.jsp?id=12&page=2",
            status=200,
            headers={"content-type": ["text/html; charset=gb2312"], "etag": ['"abc"']},
            content_type="text/html; charset=gb2312",
            declared_charset="gb2312",
            encoding="gb18030",
            body=GBK_PAGE,
            elapsed_ms=12,
            depth=2,
            referrer="http://www.example.gov.cn/",
            etag='"abc"',
            last_modified="Wed, 01 Apr 2020 00:00:00 GMT",
        )
    )
    second, failed = snaps.save_many(
        [
            SnapshotRecord(
                site_code="3611000003",
                url="http://www.example.gov.cn/b.html",
                crawl_id=crawl_id,
                body=GBK_PAGE,
            ),
            SnapshotRecord(
                site_code="3611000003",
                url="http://www.example.gov.cn/x.html",
                crawl_id=crawl_id,
                error="timeout",
                error_message="took longer than 15 s",
            ),
        ]
    )
    row = snaps.get(first)
    assert row is not None
    assert row.status == 200 and row.depth == 2 and row.headers["etag"] == ['"abc"']
    assert row.fetched_at.tzinfo is not None or store.engine.dialect.name == "sqlite"
    assert snaps.body(first) == GBK_PAGE == snaps.body(second)
    assert snaps.body(failed) is None
    assert len(list((tmp_path / "snap").rglob("*.gz"))) == 1  # identical bodies stored once
    assert [s.id for s in snaps.pages(crawl_id, "3611000003")] == [first, second, failed]
    latest = snaps.latest("3611000003", "http://www.example.gov.cn/module/list.jsp?id=12&page=2")
    assert latest is not None and latest.id == first
    assert snaps.latest("3611000003", "http://www.example.gov.cn/module/list.jsp?id=12") is None

    validators = snaps.validators(["3611000003"])
    assert list(validators) == [("3611000003", "http://www.example.gov.cn/module/list.jsp?id=12&page=2")]
    v = next(iter(validators.values()))
    assert v.etag == '"abc"' and v.body_sha256 == body_sha256(GBK_PAGE) and v.snapshot_id == first

    snaps.finish_crawl(crawl_id, "finished", {"3611000003": {"pages": 2}})
    crawl = snaps.crawl(crawl_id)
    assert crawl is not None and crawl.status == "finished" and crawl.finished_at is not None
    assert crawl.settings["obey_robots"] is False and crawl.summary["3611000003"]["pages"] == 2


def test_a_304_points_at_the_previous_body(store: Store, tmp_path: Path) -> None:
    snaps = SnapshotStore(store, tmp_path)
    url = "http://www.example.gov.cn/index.html"
    first = snaps.save(SnapshotRecord("3611000003", url, status=200, body=GBK_PAGE, etag='"1"'))
    again = snaps.save(
        SnapshotRecord(
            "3611000003",
            url,
            status=304,
            body_sha256=body_sha256(GBK_PAGE),
            body_size=len(GBK_PAGE),
            etag='"1"',
            not_modified=True,
        )
    )
    assert snaps.body(again) == GBK_PAGE
    assert snaps.validators(["3611000003"])[("3611000003", url)].snapshot_id == again > first


def test_a_failed_batch_leaves_no_rows(store: Store, tmp_path: Path) -> None:
    snaps = SnapshotStore(store, tmp_path)
    with pytest.raises(Exception):  # noqa: B017 - any database error
        snaps.save_many(
            [
                SnapshotRecord("3611000003", "http://a/"),
                SnapshotRecord("3611000003", "http://b/", crawl_id=999_999),
            ]
        )
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 0
        assert session.scalar(select(func.count()).select_from(Crawl)) == 0


def test_a_temporary_file_left_by_a_killed_writer_does_not_block_the_blob(tmp_path: Path) -> None:
    import os
    import threading

    blobs = BlobStore(tmp_path)
    body = b"<html>left half-written by a crash</html>"
    sha = body_sha256(body)
    target = blobs.path(sha)
    target.parent.mkdir(parents=True)
    stale = target.parent / f".tmp-{sha[:16]}-{os.getpid()}-{threading.get_ident()}"
    stale.write_bytes(b"half")
    assert blobs.put(body) == sha
    assert blobs.get(sha) == body
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temporary file left


def test_a_missing_blob_reads_as_no_body(store: Store, tmp_path: Path) -> None:
    snapshots = SnapshotStore(store, tmp_path / "blobs")
    sid = snapshots.save(
        SnapshotRecord(site_code="3611000003", url="http://a.example/", status=200, body=b"x")
    )
    row = snapshots.get(sid)
    assert row is not None and snapshots.body(row) == b"x"
    snapshots.blobs.path(row.body_sha256).unlink()
    assert snapshots.body(row) is None
