"""New media without the network: feeds, post-list imports, the accounts file's columns, the checks, scoring,
and incremental storage of posts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govinspect.checks.finding import Severity
from govinspect.newmedia.accounts import (
    AccountsImportError,
    import_accounts,
    load_accounts,
    parse_menu,
    parse_sources,
)
from govinspect.newmedia.checks import (
    check_ads,
    check_dormant,
    check_duplicate,
    check_interaction,
    check_registration,
    check_stale,
    check_text_of_posts,
)
from govinspect.newmedia.collect import CollectReport, import_posts, store_posts
from govinspect.newmedia.feed import FeedError, looks_like_feed, parse_feed
from govinspect.newmedia.imports import PostImportError, read_posts
from govinspect.newmedia.model import (
    CHINA,
    AccountFacts,
    AccountInfo,
    AccountKey,
    MenuEntry,
    MenuProbe,
    Post,
    SeenAccount,
    SourceFact,
    SourceSpec,
)
from govinspect.newmedia.run import check_accounts, judge
from govinspect.newmedia.scoring import score_account
from govinspect.newmedia.tables import PostRow
from govinspect.scoring.profile import load_profile
from govinspect.store import open_store

AS_OF = date(2020, 3, 31)
PROFILE = load_profile("national-2019")
NOW = datetime(2020, 4, 1, 8, 0, tzinfo=UTC)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>恩平发布</title>
<link>https://mp.example/</link>
<item><title><![CDATA[恩平市召开安全生产工作会议]]></title><link>https://mp.example/s/1</link>
<guid isPermaLink="false">wx-1</guid><pubDate>Mon, 30 Mar 2020 09:15:00 +0800</pubDate>
<description>short</description><content:encoded><![CDATA[<p>第一段。</p><p>第二段。</p>]]></content:encoded></item>
<item><title>无日期</title><link>https://mp.example/s/2</link></item>
</channel></rss>""".encode()
ATOM = """<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>恩平微博</title>
<entry><id>tag:wb,2020:9</id><title>春耕生产</title><link rel="alternate" href="https://wb.example/9"/>
<published>2020-03-29T10:00:00Z</published><content type="html">&lt;p&gt;全市春耕&lt;/p&gt;</content></entry></feed>""".encode()
RDF = """<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title></channel>
<item rdf:about="https://x.example/a"><title>文章</title><link>https://x.example/a</link>
<dc:date>2020-03-28</dc:date><description>正文</description></item></rdf:RDF>""".encode()
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "抖音",
        "items": [
            {"id": "7", "url": "https://dy.example/7", "title": "视频", "content_text": "文字",
             "date_published": "2020年3月27日 08:30"},
        ],
    },
    ensure_ascii=False,
).encode()  # fmt: skip


def test_feeds_of_every_format() -> None:
    rss = parse_feed(RSS)
    assert rss.kind == "rss" and rss.title == "恩平发布" and len(rss.items) == 2
    first = rss.items[0]
    assert first.item_id == "wx-1" and first.url == "https://mp.example/s/1"
    assert first.text == "第一段。\n第二段。"  # content:encoded preferred over description, blocks kept
    assert first.published == datetime(2020, 3, 30, 9, 15, tzinfo=CHINA)
    assert rss.items[1].published is None
    atom = parse_feed(ATOM)
    assert atom.kind == "atom" and atom.items[0].url == "https://wb.example/9"
    assert atom.items[0].text == "全市春耕" and atom.items[0].published == datetime(
        2020, 3, 29, 10, tzinfo=UTC
    )
    rdf = parse_feed(RDF)
    assert rdf.kind == "rdf" and rdf.items[0].published == datetime(2020, 3, 28, tzinfo=CHINA)
    jf = parse_feed(JSON_FEED)
    assert jf.kind == "jsonfeed" and jf.items[0].published == datetime(2020, 3, 27, 8, 30, tzinfo=CHINA)
    assert all(looks_like_feed(body) for body in (RSS, ATOM, RDF, JSON_FEED))


def test_a_page_or_junk_is_not_a_feed() -> None:
    page = "<html><body><p>该帐号已注销</p></body></html>".encode()
    assert not looks_like_feed(page, "text/html")
    for body in (
        page,
        b"{}",
        b"<?xml version='1.0'?><note/>",
        b"<!DOCTYPE x [<!ENTITY a 'b'>]><rss>&a;</rss>",
    ):
        with pytest.raises(FeedError):
            parse_feed(body)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_post_lists_in_chinese_english_and_json(tmp_path: Path) -> None:
    chinese = _csv(
        tmp_path / "posts.csv",
        [
            ["平台", "账号ID", "标题", "发布时间", "链接", "正文"],
            ["微信", "gh_1", "标题一", "2020-03-30 10:00", "https://mp.example/1", "第一段\n第二段"],
            ["新浪微博", "123", "", "2020年3月29日", "", "只有正文的一条微博"],
        ],
    )
    posts = read_posts(chinese, fetched_at=NOW).posts
    assert [p.account for p in posts] == [AccountKey("微信公众号", "gh_1"), AccountKey("微博", "123")]
    assert posts[0].post.text == "第一段\n第二段" and posts[0].post.source == "import"
    assert posts[1].post.title.startswith("只有正文") and posts[1].post.day == date(2020, 3, 29)
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["platform", "account_id", "title", "published_at", "url", "text"])
    sheet.append(["douyin", "55", "视频", datetime(2020, 3, 1, 9, 0), "https://dy.example/1", "文字"])
    book.save(tmp_path / "posts.xlsx")
    (xlsx,) = read_posts(tmp_path / "posts.xlsx", fetched_at=NOW).posts
    assert xlsx.account == AccountKey("抖音", "55") and xlsx.post.day == date(2020, 3, 1)
    (tmp_path / "posts.json").write_text(
        json.dumps(
            {"posts": [{"platform": "微博", "account_id": "9", "title": "t", "published_at": "2020-03-02"}]}
        ),
        "utf-8",
    )
    (item,) = read_posts(tmp_path / "posts.json", fetched_at=NOW).posts
    assert item.post.published == datetime(2020, 3, 2, tzinfo=CHINA)


def test_a_malformed_post_list_names_row_and_column_and_imports_nothing(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "bad.csv",
        [
            ["平台", "账号ID", "标题", "发布时间", "链接"],
            ["微信", "gh_1", "好", "2020-03-30", "https://mp.example/1"],
            ["脸书", "gh_2", "坏平台", "2020-03-30", ""],
            ["微信", "gh_3", "坏时间", "上周", "ftp://x"],
        ],
    )
    with pytest.raises(PostImportError) as caught:
        read_posts(path, fetched_at=NOW)
    shown = [str(e) for e in caught.value.errors]
    assert any(s.startswith("第3行“平台”列") for s in shown)
    assert any(s.startswith("第4行“发布时间”列") for s in shown)
    assert any(s.startswith("第4行“链接”列") for s in shown)
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(PostImportError):
        import_posts(store, path)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(PostRow)) == 0
    (tmp_path / "bad.json").write_text(
        json.dumps([{"platform": "微博", "account_id": "1", "title": "t"}]), "utf-8"
    )
    with pytest.raises(PostImportError, match="发布时间"):
        read_posts(tmp_path / "bad.json", fetched_at=NOW)


def test_menu_and_source_cells() -> None:
    assert parse_menu("") == (None, None)
    assert parse_menu("无") == ((), None)
    entries, _ = parse_menu("政务服务=https://a.example/1；我要留言|https://a.example/2;关于我们")
    assert entries == (
        MenuEntry("政务服务", "https://a.example/1"),
        MenuEntry("我要留言", "https://a.example/2"),
        MenuEntry("关于我们"),
    )
    assert parse_menu('[{"name": "互动", "url": "https://a.example/3"}]')[0] == (
        MenuEntry("互动", "https://a.example/3"),
    )
    assert parse_menu("留言=javascript:alert(1)")[1]
    specs, _ = parse_sources("https://r.example/wx/1 feed:https://r.example/x， https://h5.example/list")
    assert specs == (
        SourceSpec("https://r.example/wx/1"),
        SourceSpec("https://r.example/x", "feed"),
        SourceSpec("https://h5.example/list"),
    )
    assert parse_sources("www.example.com")[1]


def test_accounts_file_keeps_menu_and_sources_all_or_nothing(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    header = [
        "平台",
        "账号名称",
        "账号ID",
        "主办单位",
        "所属地区",
        "运行状态",
        "是否备案",
        "菜单",
        "采集地址",
    ]
    good = _csv(
        tmp_path / "a.csv",
        [header, ["微信公众号", "恩平发布", "gh_1", "恩平市政府办", "江门市", "运行", "是", "互动=https://m.example/1",
                  "https://r.example/wx/gh_1"]],
    )  # fmt: skip
    done = import_accounts(store, good)
    assert done.registry.created == 1 and done.settings == 1
    with store.session() as session:
        (account,) = load_accounts(session)
    assert account.menu == (MenuEntry("互动", "https://m.example/1"),)
    assert account.sources == (SourceSpec("https://r.example/wx/gh_1"),)
    bad = _csv(
        tmp_path / "b.csv",
        [header, ["微信公众号", "新号", "gh_2", "恩平市政府办", "江门市", "运行", "是", "", "not a url"]],
    )
    with pytest.raises(AccountsImportError) as caught:
        import_accounts(store, bad)
    assert str(caught.value.errors[0]).startswith("第2行“采集地址”列")
    with store.session() as session:
        assert len(load_accounts(session)) == 1  # the registry part was not imported either


def _post(days_ago: int, title: str = "工作动态", text: str = "正文", n: int = 0) -> Post:
    when = datetime.combine(AS_OF - timedelta(days=days_ago), datetime.min.time()).replace(
        hour=10, tzinfo=CHINA
    )
    return Post(f"k{days_ago}-{n}", title, text, when, f"https://p.example/{days_ago}/{n}")


def _facts(posts=(), *, menu=None, probes=(), platform="微信公众号", status="运行", registered=True,
           sources=None, peers=()) -> AccountFacts:  # fmt: skip
    account = AccountInfo(
        AccountKey(platform, "gh_1"), "恩平发布", "恩平市政府办", "江门市", status, registered, menu,
        (SourceSpec("https://r.example/feed"),),
    )  # fmt: skip
    if sources is None:
        sources = (SourceFact("https://r.example/feed", "auto", True, 200, items=len(posts)),)
    return AccountFacts(account, tuple(posts), tuple(sources), tuple(probes), tuple(peers))


def test_stale_and_dormant_from_the_time_point() -> None:
    assert check_stale(_facts([_post(14)]), PROFILE, AS_OF) == []
    (stale,) = check_stale(_facts([_post(15)]), PROFILE, AS_OF)
    assert stale.severity is Severity.VETO and stale.evidence["latest"] == "2020-03-16"
    # a post after the time point did not exist yet for it
    assert check_stale(_facts([_post(-3), _post(20)]), PROFILE, AS_OF)[0].evidence["latest"] == "2020-03-11"
    # nothing known: a source that failed, or only posts after the time point
    failed = (SourceFact("https://r.example/feed", "auto", False, 500, "http"),)
    assert check_stale(_facts([_post(40)], sources=failed), PROFILE, AS_OF) == []
    assert check_stale(_facts([_post(-3)]), PROFILE, AS_OF) == []
    never = check_stale(_facts([]), PROFILE, AS_OF)
    assert never and never[0].evidence["latest"] is None
    assert check_dormant(_facts([_post(180)]), PROFILE, AS_OF) == []
    assert check_dormant(_facts([_post(181)]), PROFILE, AS_OF)[0].check == "newmedia.dormant"
    assert check_stale(_facts([_post(40)], status="关停"), PROFILE, AS_OF) == []


def test_interaction_menu() -> None:
    fresh = [_post(1)]
    assert check_interaction(_facts(fresh, menu=None), PROFILE, AS_OF) == []  # not recorded: no claim
    assert check_interaction(_facts(fresh, menu=()), PROFILE, AS_OF)[0].evidence == {"menu": []}
    no_entry = (MenuEntry("政务服务", "https://m.example/1"), MenuEntry("办事指南", "https://m.example/2"))
    assert "没有留言" in check_interaction(_facts(fresh, menu=no_entry), PROFILE, AS_OF)[0].message
    menu = (MenuEntry("政务服务", "https://m.example/1"), MenuEntry("我要留言", "https://m.example/2"))
    dead = (MenuProbe("https://m.example/2", (404, 404), ("http", "http")),)
    blocked = (MenuProbe("https://m.example/2", (403, 403), ("http", "http")),)
    (finding,) = check_interaction(_facts(fresh, menu=menu, probes=dead), PROFILE, AS_OF)
    assert finding.url == "https://m.example/2" and finding.severity is Severity.VETO
    assert check_interaction(_facts(fresh, menu=menu, probes=blocked), PROFILE, AS_OF) == []
    assert check_interaction(_facts(fresh, menu=menu), PROFILE, AS_OF) == []  # not probed
    assert check_interaction(_facts(fresh, menu=(), platform="微博"), PROFILE, AS_OF) == []


def test_ads_and_their_decoys() -> None:
    posts = [
        _post(1, "【广告】名表专卖", "欢迎选购", 1),
        _post(2, "家装节", "全场限时抢购，低至3折，全国包邮", 2),
        _post(3, "我市开展整治虚假广告专项行动", "查处虚假广告", 3),
        _post(4, "消费券发放", "市民可领取优惠券", 4),
        _post(5, "广告牌整治", "拆除违规广告牌", 5),
    ]
    found = check_ads(_facts(posts), PROFILE, AS_OF)
    assert [f.url for f in found] == ["https://p.example/1/1", "https://p.example/2/2"]
    assert found[0].evidence["marker"] == "广告" and len(found[1].evidence["phrases"]) >= 2


def test_serious_wording_in_a_post() -> None:
    text = "会议要求，要增强“四个意识”、坚定“四个自信”、做到“两个拥护”。"
    found = check_text_of_posts(_facts([_post(2, "会议", text)]), PROFILE, AS_OF)
    serious = [f for f in found if f.check == "newmedia.serious_error"]
    assert (
        serious and serious[0].severity is Severity.VETO and serious[0].evidence["suggestion"] == "两个维护"
    )
    assert serious[0].url == "https://p.example/2/0"
    # posts older than the text window are not read
    assert not [f for f in check_text_of_posts(_facts([_post(120, "会议", text)]), PROFILE, AS_OF)
                if f.check == "newmedia.serious_error"]  # fmt: skip


def test_duplicate_and_registration() -> None:
    peer = AccountInfo(AccountKey("微信公众号", "gh_2"), "恩平服务", "恩平市政府办", "江门市")
    closed_peer = AccountInfo(
        AccountKey("微信公众号", "gh_3"), "旧号", "恩平市政府办", "江门市", status="关停"
    )
    (dup,) = check_duplicate(_facts([_post(1)], peers=[peer, closed_peer]), PROFILE, AS_OF)
    assert dup.evidence["others"] == [{"account_id": "gh_2", "name": "恩平服务"}]
    assert check_duplicate(_facts([_post(1)], peers=[closed_peer]), PROFILE, AS_OF) == []
    (unregistered,) = check_registration(_facts([_post(1)], registered=False), PROFILE, AS_OF)
    assert unregistered.check == "newmedia.unregistered"
    (posting,) = check_registration(_facts([_post(3)], status="关停"), PROFILE, AS_OF)
    assert posting.evidence["variant"] == "closed_but_posting"
    assert check_registration(_facts([_post(30)], status="关停"), PROFILE, AS_OF) == []
    shown = (SourceFact("https://r.example/feed", "auto", True, 200, closed_text="该帐号已注销"),)
    (closed,) = check_registration(_facts([], sources=shown), PROFILE, AS_OF)
    assert closed.evidence["variant"] == "closed_but_running"
    outcome = judge(_facts([], sources=shown), PROFILE, AS_OF)
    assert outcome.score is None and [f.check for f in outcome.findings] == ["newmedia.status_mismatch"]


def test_scoring_on_the_newmedia_part_of_the_profile() -> None:
    failing = judge(_facts([_post(30)], menu=()), PROFILE, AS_OF)
    assert failing.score is not None and failing.score.verdict == "不合格"
    assert failing.score.veto_names == ["内容不更新", "互动回应差"]
    posts = [_post(1, "【广告】名表", "x", 1), _post(2)]
    peer = AccountInfo(AccountKey("微信公众号", "gh_2"), "恩平服务", "恩平市政府办", "江门市")
    passing = judge(_facts(posts, peers=[peer]), PROFILE, AS_OF)
    assert passing.score is not None and passing.score.verdict == "合格"
    assert passing.score.score == 90.0  # ads −5, duplicate −5 (placeholder points)
    assert score_account([], PROFILE).score == 100.0


def test_posts_are_stored_incrementally(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    key = AccountKey("微博", "9")
    first = CollectReport()
    with store.session() as session:
        store_posts(session, {key: [_post(1, n=1), _post(2, n=2), _post(2, n=2)]}, first)
    assert (first.new_posts, first.updated_posts, first.unchanged_posts) == (2, 0, 0)
    again = CollectReport()
    with store.session() as session:
        store_posts(session, {key: [_post(1, "改过的标题", n=1), _post(2, n=2), _post(3, n=3)]}, again)
    assert (again.new_posts, again.updated_posts, again.unchanged_posts) == (1, 1, 1)
    with store.session() as session:
        rows = session.scalars(select(PostRow).order_by(PostRow.id)).all()
        assert [r.title for r in rows] == ["改过的标题", "工作动态", "工作动态"]
        assert rows[0].published_at.replace(tzinfo=UTC) == _post(1).published
        assert rows[0].first_seen_at is not None


def test_a_run_is_stored_with_accounts_not_in_the_registry(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    path = _csv(
        tmp_path / "posts.csv",
        [["平台", "账号ID", "标题", "发布时间"], ["微信", "gh_x", "近期动态", "2020-03-30 09:00"]],
    )
    report = import_posts(store, path)
    assert report.unknown_accounts == [AccountKey("微信公众号", "gh_x")]
    result = check_accounts(store, load_profile("national-2019"), AS_OF, period="2020Q1")
    (outcome,) = result.outcomes
    assert outcome.score is None and [f.check for f in outcome.findings] == ["newmedia.unregistered"]


FOOTER = """<html><body><div class="main"><p>微信群众反映的问题已转交办理。</p></div>
<div class="footer"><p>恩平政务 微信公众号 / 官方微博</p><p>主办单位：恩平市人民政府办公室</p>
<a href="/xmt/">政务新媒体矩阵</a><img src="qr.png" alt="扫一扫关注“恩平发布”微信公众号">
<p>欢迎关注我们的微信公众号</p><p>手机版 | 微信 | 微博</p></div></body></html>"""
MATRIX = """<html><body><h1>政务新媒体矩阵</h1><ul><li>官方抖音号：恩平融媒</li>
<li>“恩平人社”微信公众号</li></ul></body></html>"""


def test_accounts_sites_list_are_reconciled_with_the_registry(tmp_path: Path) -> None:
    from govinspect.extract.page import parse_page
    from govinspect.newmedia.reconcile import find_accounts, seen_on_sites, unregistered_seen
    from govinspect.registry import service
    from govinspect.store.snapshots import SnapshotRecord, SnapshotStore

    page = parse_page("http://www.enping.gov.cn/", FOOTER.encode())
    found = {(a.evidence["platform"], a.name, a.how) for a in find_accounts(page, how="footer")}
    assert found == {
        ("微信公众号", "恩平政务", "footer"),
        ("微博", "恩平政务", "footer"),
        ("微信公众号", "恩平发布", "qrcode"),
    }

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    _csv(tmp_path / "sites.csv", [["网站标识码", "网站名称", "首页网址", "主办单位", "所属地区", "类别"],
                                   ["4407850057", "恩平市人民政府", "http://www.enping.gov.cn/", "恩平市人民政府办公室",
                                    "江门市", "县级门户"]])  # fmt: skip
    service.import_file(store, tmp_path / "sites.csv")
    snapshots = SnapshotStore(store, tmp_path / "snapshots")
    html = {"content-type": ["text/html; charset=utf-8"]}
    snapshots.save(SnapshotRecord("4407850057", "http://www.enping.gov.cn/", kind="homepage", status=200, headers=html,
                                  body=FOOTER.encode()))  # fmt: skip
    snapshots.save(SnapshotRecord("4407850057", "http://www.enping.gov.cn/xmt/", status=200, headers=html,
                                  body=MATRIX.encode()))  # fmt: skip
    seen = seen_on_sites(store, tmp_path / "snapshots")
    assert {(a.name, a.how) for a in seen} >= {
        ("恩平融媒", "matrix"),
        ("恩平人社", "matrix"),
        ("恩平政务", "footer"),
    }
    registry = [
        AccountInfo(AccountKey("微信公众号", "gh_1"), "恩平政务", "恩平市政府办", "江门市"),
        AccountInfo(AccountKey("微信公众号", "gh_2"), "恩平发布", "恩平市政府办", "江门市"),
        AccountInfo(AccountKey("微博", "55"), "恩平政务发布", "恩平市政府办", "江门市"),  # contains 恩平政务
    ]
    unknown = unregistered_seen(seen, registry)
    assert {(a.evidence["platform"], a.name) for a, _ in unknown} == {
        ("抖音", "恩平融媒"),
        ("微信公众号", "恩平人社"),
    }
    assert all(f.severity is Severity.NOTICE and f.url.endswith("/xmt/") for _, f in unknown)
    # a place name starting with 本 is a name; “本网”/“本站” words are not
    names = parse_page(
        "http://www.benxi.gov.cn/", "<p>“本溪发布”微信公众号</p><p>本站微信公众号</p>".encode()
    )
    assert [a.name for a in find_accounts(names)] == ["本溪发布"]
    result = check_accounts(store, PROFILE, AS_OF, seen=seen)
    assert {o.account.key.account_id for o in result.outcomes} >= {"name:恩平融媒", "name:恩平人社"}


def test_a_closed_account_a_site_still_names_is_a_status_mismatch() -> None:
    from govinspect.newmedia.reconcile import closed_seen, unregistered_seen

    where = "http://www.enping.gov.cn/xmt/"
    seen = [
        SeenAccount(None, "恩平政务", where, "matrix", evidence={"platform": "微信公众号"}),
        SeenAccount(None, "恩平发布", where, "matrix", evidence={"platform": "微博"}),
    ]
    registry = [
        AccountInfo(AccountKey("微信公众号", "gh_1"), "恩平政务", "恩平市政府办", "江门市", status="关停"),
        AccountInfo(AccountKey("微博", "55"), "恩平发布", "恩平市政府办", "江门市", status="关停"),
        AccountInfo(
            AccountKey("微博", "56"), "恩平发布服务", "恩平市政府办", "江门市"
        ),  # running, matches too
    ]
    found = closed_seen(seen, registry)
    assert [(a.key.account_id, f.evidence["variant"], f.url) for a, f in found] == [
        ("gh_1", "closed_but_listed", where)
    ]
    assert found[0][1].severity is Severity.NOTICE and not unregistered_seen(seen, registry)
