"""The dashboard and the API through FastAPI's test client, on a real inspection of farm sites and of a site
whose pages carry script and HTML-injection payloads: sign-in, sessions, CSRF, throttling, unit isolation,
tokens, the overview's figures, evidence, the sanitised snapshot, and payloads escaped everywhere.

The inspected data (:func:`web_data`) is built once and shared with tests/test_web_browser.py.
"""

from __future__ import annotations

import html
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import lxml.html
import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from govinspect.config import Settings, load_settings
from govinspect.farm import Farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.reports import figures as fig
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.runs.rescore import rescore_run
from govinspect.store import Store, open_store
from govinspect.store.models import Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult
from govinspect.store.users import LoginThrottle, User, WebSession
from govinspect.web import auth
from govinspect.web.app import create_app
from govinspect.web.sanitize import sanitise

# -- the shared data: three farm sites and one hostile site, inspected once ---------------------------------------

PAYLOAD_CODE = "2101000098"
PAYLOAD_NAME = '攻击测试网站<img src=x onerror="window.__pwned=90" data-pwned=1>'
PAYLOAD_UNIT = "注入测试局<b data-pwned=1>单位</b>"
PASSWORD = "Correct-Horse-42"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
USERS = {"admin": "admin", "inspector": "inspector", "unit1": "unit", "unit2": "unit"}
# Markup that must never reach a page unescaped (each would run or inject an element).
RAW_PAYLOADS = (
    "<script>window.__pwned",
    "<img src=x onerror",
    "<b data-pwned",
    "<svg onload",
    "<iframe srcdoc",
)

PAYLOAD_PAGES: dict[str, str] = {
    "/": """<!DOCTYPE html><html><head><meta charset="utf-8">
<title><script>window.__pwned=16</script>攻击测试网站首页</title></head>
<body onload="window.__pwned=17">
<script>window.__pwned=10; alert(10)</script>
<div class="nav"><a href="/col/list.html">通知公告</a> <a href="javascript:window.__pwned=11">点我</a></div>
<h1>&lt;img src=x onerror="window.__pwned=12" data-pwned=1&gt;欢迎访问</h1>
<p>要深入学习贯彻习近平新时代中国特色社会主意思想，&lt;b data-pwned=1&gt;注入&lt;/b&gt;推动各项工作落地见效。</p>
<img src=x onerror="window.__pwned=13;alert(13)" data-pwned=1>
<iframe srcdoc="<script>parent.__pwned=14</script>"></iframe>
<ul><li><a href="/art/1.html">关于开展安全检查的通知</a><span>2020-03-20</span></li></ul>
<div class="footer">主办单位：&lt;svg onload=window.__pwned=15 data-pwned=1&gt;注入测试局
 网站标识码：2101000098 <b data-pwned=1>页脚</b><script>window.__pwned=18</script></div>
</body></html>""",
    "/col/list.html": """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告&lt;script&gt;</title></head>
<body><ul><li><a href="/art/1.html">关于开展安全检查的通知&lt;img src=x onerror=alert(19)&gt;</a><span>2020-03-20</span></li></ul>
<div class="footer">主办单位：注入测试局</div></body></html>""",
    "/art/1.html": """<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于开展安全检查的通知</title></head>
<body><h1>关于开展安全检查的通知</h1><p>发布时间：2020-03-20</p>
<p>各单位要深入学习贯彻习近平新时代中国特色社会主意思想。<script>window.__pwned=20</script></p>
<div class="footer">主办单位：注入测试局</div></body></html>""",
}


class _PayloadHandler(http.server.BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, str]] = PAYLOAD_PAGES

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class WebData:
    settings: Settings
    store: Store
    farm: Farm
    codes: list[str]  # inspected farm sites
    mine: str  # the farm site of unit1's unit (one that passes)
    others: list[str]  # inspected sites unit1 must not see
    run_id: int  # 2020Q1
    previous_run_id: int  # 2019Q4
    unit_id: int


_SHARED: dict[str, WebData] = {}


def web_data(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    """Inspect three farm sites and the hostile site once per session (both web test modules use it)."""
    if "data" in _SHARED:
        return _SHARED["data"]
    # argon2's service cost (64 MiB, 3 passes) takes 0.1–0.5 s a hash on a busy machine, and these tests sign
    # in dozens of times: they hash cheaply (verification follows each hash's own parameters).
    # test_passwords_are_argon2id_and_rehashed_to_current_parameters checks the service cost.
    auth._hasher = CHEAP_HASHER
    home = tmp_path_factory.mktemp("web-home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PayloadHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        registry = home / "payload.csv"
        registry.write_text(
            "网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态\n"
            f'{PAYLOAD_CODE},"{PAYLOAD_NAME.replace(chr(34), chr(34) * 2)}",'
            f"http://127.0.0.1:{server.server_address[1]}/,{PAYLOAD_UNIT},沈阳市,市级部门,运行\n",
            encoding="utf-8",
        )
        service.import_file(store, registry)
        # One site the farm's truth fails (vetoes, evidence, screenshots) and two it passes.
        expected = {s["site_code"]: s["expected_verdict"] for s in farm.truth()["sites"]}
        plain = [s.site_code for s in farm.sites if s.behaviour is None]
        codes = [c for c in plain if expected[c] == "不合格"][:1] + [
            c for c in plain if expected[c] == "合格"
        ][:2]
        crawl = CrawlOptions(
            max_pages=12,
            delay=0.0,
            homepage_retry_spacing_s=0.2,
            allow_private_networks=True,
            concurrency_per_host=4,
        )
        options = InspectOptions(
            as_of=farm.as_of,
            period="2020Q1",
            crawl=crawl,
            links=LinkCheckOptions(retry_spacing=0.05, timeout=5),
            max_external_links=5,
            render=False,
            workers=1,
            max_screenshots=1,
        )
        result = inspect_sites(store, settings, [*codes, PAYLOAD_CODE], options)
    finally:
        server.shutdown()
        server.server_close()
    # Last quarter, for the trend: the same models judged at the end of 2019, filed under 2019Q4.
    previous = rescore_run(store, settings, result.run_id, as_of=date(2019, 12, 31))
    with store.session() as session:
        session.execute(update(Run).where(Run.id == previous.run_id).values(period="2019Q4"))
        mine = codes[1]
        unit_id = session.scalar(select(Site.unit_id).where(Site.site_code == mine))
        payload_unit = session.scalar(select(Site.unit_id).where(Site.site_code == PAYLOAD_CODE))
        for username, role in USERS.items():
            units = {"unit1": [unit_id], "unit2": [payload_unit]}.get(username, [])
            auth.create_user(session, username, f"{username}测试", role, PASSWORD, units)
    _SHARED["data"] = WebData(
        settings, store, farm, codes, mine, [c for c in [*codes, PAYLOAD_CODE] if c != mine],
        result.run_id, previous.run_id, unit_id,
    )  # fmt: skip
    return _SHARED["data"]


@pytest.fixture(scope="module")
def web(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return web_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def app(web: WebData):  # type: ignore[no-untyped-def]
    return create_app(web.settings, store=web.store)


def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    # https: the session cookie is Secure, and the client sends it over https only (as a browser would).
    return TestClient(app, base_url="https://testserver")


def login_csrf(c: TestClient) -> str:
    page = c.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]


def signed_in(app, username: str, password: str = PASSWORD) -> TestClient:  # type: ignore[no-untyped-def]
    c = client(app)
    token = login_csrf(c)
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c


def csrf(c: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/account").text)[1]  # type: ignore[index]


def account_fixture(username: str):  # type: ignore[no-untyped-def]
    """A module fixture named ``username``: a client signed in as that user to the module's ``app`` (each web
    test module has its own app fixture; ``inspector = account_fixture("inspector")`` there)."""

    @pytest.fixture(scope="module", name=username)
    def signed(app) -> TestClient:  # type: ignore[no-untyped-def]
        return signed_in(app, username)

    return signed


admin = account_fixture("admin")
inspector = account_fixture("inspector")
unit1 = account_fixture("unit1")


def finding_ids(web: WebData, site_code: str, run_id: int | None = None) -> list[int]:
    with web.store.session() as session:
        query = (
            select(FindingRow.id)
            .join(SiteResult, FindingRow.result_id == SiteResult.id)
            .where(SiteResult.site_code == site_code, SiteResult.run_id == (run_id or web.run_id))
        )
        return list(session.scalars(query.order_by(FindingRow.id)))


def routes() -> list[APIRoute]:
    """Every page and API route (FastAPI wraps included routers, so ask the routers)."""
    from govinspect.web import api, inbox_pages, newmedia_pages, pages, rectify_pages, report_pages, run_pages

    signed_in_only = (
        api.router,
        pages.router,
        run_pages.router,
        rectify_pages.router,
        inbox_pages.router,
        report_pages.router,
        newmedia_pages.router,
    )  # not inbox_pages.public
    return [r for router in signed_in_only for r in router.routes if isinstance(r, APIRoute)]


def _fill(path: str, web: WebData) -> str:
    values = {
        "site_code": web.mine,
        "finding_id": str(finding_ids(web, web.mine)[0]),
        "run_id": str(web.run_id),
        "plan_id": "1",
        "user_id": "1",
        "token_id": "1",
        "what": "circular",
        "ticket_id": "1",
        "report_id": "1",
        "attachment_id": "1",
        "account_pk": "1",
        "name": "20200101-000000-2020Q1",
        "kind": "docx",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], path)


# -- tests ----------------------------------------------------------------------------------------------------


def test_the_inspection_behind_the_pages(web: WebData) -> None:
    """The data the other tests read: the hostile site was inspected and its payloads reached the findings."""
    with web.store.session() as session:
        verdicts = dict(
            session.execute(
                select(SiteResult.site_code, SiteResult.verdict).where(SiteResult.run_id == web.run_id)
            ).all()
        )
        assert set(verdicts) == {*web.codes, PAYLOAD_CODE}
        evidence = [
            str(e)
            for e in session.scalars(
                select(FindingRow.evidence)
                .join(SiteResult)
                .where(SiteResult.site_code == PAYLOAD_CODE, SiteResult.run_id == web.run_id)
            )
        ]
    assert verdicts[PAYLOAD_CODE] == "不合格"  # the serious wording error is a veto
    assert any("data-pwned" in e for e in evidence), evidence  # the payload text is in the evidence


def test_every_page_and_api_call_needs_a_signed_in_user(app, web: WebData) -> None:  # type: ignore[no-untyped-def]
    anonymous = client(app)
    checked = 0
    for route in routes():
        if "GET" not in route.methods or route.path == "/login":
            continue
        r = anonymous.get(_fill(route.path, web), follow_redirects=False)
        checked += 1
        if route.path.startswith("/api/"):
            assert r.status_code == 401, route.path
            assert r.headers["www-authenticate"] == "Bearer"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), route.path
    assert checked >= 15
    assert anonymous.get("/sites", headers={"HX-Request": "true"}).headers["HX-Redirect"].startswith("/login")


def test_sign_in_sets_a_secure_http_only_cookie_and_sign_out_ends_the_session(app, web: WebData) -> None:  # type: ignore[no-untyped-def]
    c = client(app)
    token = login_csrf(c)
    r = c.post(
        "/login",
        data={"username": "Inspector", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"  # never off-site after signing in
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-gi_session=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
        assert flag.lower() in cookie.lower()
    session_token = cookie.split(";")[0].split("=", 1)[1]
    with web.store.session() as session:  # only the token's hash is stored
        assert session.scalar(select(WebSession.id).where(WebSession.token_hash == session_token)) is None
        assert session.scalar(
            select(WebSession.id).where(WebSession.token_hash == auth.digest(session_token))
        )
    assert c.get("/sites").status_code == 200
    assert c.post("/logout", data={"csrf_token": csrf(c)}, follow_redirects=False).status_code == 303
    replay = client(app)
    replay.cookies.set("__Host-gi_session", session_token, domain="testserver.local")
    assert replay.get("/sites", follow_redirects=False).status_code == 303
    wrong = client(app)
    r = wrong.post(
        "/login",
        data={"username": "inspector", "password": "not-the-password", "csrf_token": login_csrf(wrong)},
    )
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert "set-cookie" not in r.headers or "gi_session" not in r.headers["set-cookie"]


def test_every_form_needs_its_csrf_token(app, admin: TestClient, web: WebData) -> None:  # type: ignore[no-untyped-def]
    posts = [r for r in routes() if "POST" in r.methods]
    assert len(posts) >= 7
    with web.store.session() as session:
        before = session.scalar(select(User.display_name).where(User.id == 1))
    for route in posts:
        path = _fill(route.path, web)
        data = {"display_name": "被篡改", "role": "admin", "active": "1", "name": "x", "username": "x"}
        r = admin.post(path, data=data, follow_redirects=False)
        assert r.status_code == 403, path
        r = admin.post(path, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403, path
    token = csrf(admin)
    foreign = admin.post(
        "/users/1",
        data={"display_name": "被篡改", "role": "admin", "active": "1", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert foreign.status_code == 403  # another site's form, even carrying a stolen token
    with web.store.session() as session:
        assert session.scalar(select(User.display_name).where(User.id == 1)) == before
    # The sign-in form is protected by its own token (a cookie set with the form).
    fresh = client(app)
    r = fresh.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "x"})
    assert r.status_code == 403 and "页面已过期" in r.text


def test_passwords_are_argon2id_and_rehashed_to_current_parameters(web: WebData, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    service = PasswordHasher()
    monkeypatch.setattr(auth, "_hasher", service)
    assert auth.hash_password(PASSWORD).startswith(
        f"$argon2id$v=19$m={service.memory_cost},t={service.time_cost},"
    )
    with web.store.session() as session:
        user = User(
            username="rehash",
            display_name="重哈希",
            role="inspector",
            password_hash=CHEAP_HASHER.hash(PASSWORD),
        )
        session.add(user)
    assert auth.authenticate(web.store, "rehash", PASSWORD, "testclient").user_id is not None
    with web.store.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "rehash"))
    assert stored.startswith(f"$argon2id$v=19$m={service.memory_cost},") and service.verify(stored, PASSWORD)
    assert PASSWORD not in stored


def test_password_guessing_is_throttled(app, web: WebData) -> None:  # type: ignore[no-untyped-def]
    with web.store.session() as session:
        auth.create_user(session, "throttled", "限速测试", "inspector", PASSWORD)
    c = client(app)
    for _ in range(auth.USER_LIMIT):
        r = c.post(
            "/login", data={"username": "throttled", "password": "wrong-guess", "csrf_token": login_csrf(c)}
        )
    assert r.status_code == 429 and "登录失败次数过多" in r.text
    r = c.post("/login", data={"username": "throttled", "password": PASSWORD, "csrf_token": login_csrf(c)})
    assert r.status_code == 429  # the right password does not help while locked
    assert signed_in(app, "inspector").get("/").status_code == 200  # other accounts are not locked
    later = auth.now() + auth.LOCK + timedelta(seconds=1)
    assert auth.authenticate(web.store, "throttled", PASSWORD, "testclient", at=later).user_id is not None
    # One address guessing many names is locked too.
    at = auth.now()
    outcomes = [
        auth.authenticate(web.store, f"nobody{i}", "x" * 12, "203.0.113.9", at=at)
        for i in range(auth.ADDRESS_LIMIT)
    ]
    assert outcomes[-1].locked and not outcomes[0].locked
    assert auth.authenticate(web.store, "throttled", PASSWORD, "203.0.113.9", at=at).locked
    with web.store.session() as session:
        session.execute(LoginThrottle.__table__.delete())


def test_a_unit_user_sees_only_their_units_sites(app, unit1: TestClient, web: WebData) -> None:  # type: ignore[no-untyped-def]
    listing = unit1.get("/sites").text
    assert web.mine in listing
    for other in web.others:
        assert other not in listing
        assert unit1.get(f"/sites/{other}").status_code == 404
        assert unit1.get(f"/api/v1/sites/{other}").status_code == 404
        assert unit1.get(f"/sites?q={other}").text.count('class="site-link"') == 0
        for finding in finding_ids(web, other)[:3]:
            for path in (
                f"/findings/{finding}",
                f"/findings/{finding}/snapshot",
                f"/findings/{finding}/screenshot",
            ):
                assert unit1.get(path).status_code == 404, path
            assert unit1.get(f"/api/v1/findings/{finding}").status_code == 404
    assert unit1.get(f"/sites/{web.mine}").status_code == 200
    api_sites = unit1.get("/api/v1/sites").json()
    assert [s["site_code"] for s in api_sites["sites"]] == [web.mine]
    assert {f["site_code"] for f in unit1.get("/api/v1/findings?size=500").json()["findings"]} <= {web.mine}
    runs = unit1.get("/api/v1/runs").json()
    assert {r["sites"] for r in runs} == {1}  # counts over the unit's sites only
    assert unit1.get(f"/api/v1/runs/{web.run_id}").json()["results"][0]["site_code"] == web.mine
    overview = unit1.get("/").text
    assert "本单位网站" in overview
    with web.store.session() as session:
        other_unit = session.scalar(select(Site.unit_id).where(Site.site_code == web.others[0]))
    assert unit1.get(f"/sites?unit={other_unit}").text.count('class="site-link"') == 0
    assert unit1.get("/users").status_code == 403
    assert unit1.post("/users", data={"csrf_token": csrf(unit1)}).status_code == 403


def test_inspectors_see_every_site_but_cannot_manage_accounts(inspector: TestClient, web: WebData) -> None:
    listing = inspector.get("/api/v1/sites?size=500").json()
    inspected = {s["site_code"] for s in listing["sites"] if s["verdict"]}
    assert inspected == {*web.codes, PAYLOAD_CODE}
    assert listing["total"] == len(web.farm.sites) + 1
    assert inspector.get("/users").status_code == 403
    assert inspector.get("/users/1").status_code == 403


def test_api_tokens_carry_their_users_scope_and_can_be_revoked(app, admin: TestClient, web: WebData) -> None:  # type: ignore[no-untyped-def]
    with web.store.session() as session:
        unit1_id = session.scalar(select(User.id).where(User.username == "unit1"))
    page = admin.post(f"/users/{unit1_id}/tokens", data={"name": "对接", "csrf_token": csrf(admin)})
    token = re.search(r'id="new-token">([^<]+)<', page.text)[1]  # type: ignore[index]
    api = client(app)
    bearer = {"Authorization": f"Bearer {token}"}
    sites = api.get("/api/v1/sites", headers=bearer).json()["sites"]
    assert [s["site_code"] for s in sites] == [web.mine]
    other_finding = finding_ids(web, web.others[0])[0]
    assert api.get(f"/api/v1/findings/{other_finding}", headers=bearer).status_code == 404
    mine = api.get(f"/api/v1/sites/{web.mine}", headers=bearer).json()
    assert mine["verdict"] in ("合格", "不合格") and mine["run_id"] == web.run_id
    assert {h["run_id"] for h in mine["history"]} == {web.run_id, web.previous_run_id}
    assert api.get("/api/v1/sites", headers={"Authorization": "Bearer gi_forged"}).status_code == 401
    revoke = re.search(
        rf'action="/users/{unit1_id}/tokens/(\d+)/revoke"', admin.get(f"/users/{unit1_id}").text
    )
    token_id = int(revoke[1])  # type: ignore[index]
    admin.post(f"/users/{unit1_id}/tokens/{token_id}/revoke", data={"csrf_token": csrf(admin)})
    assert api.get("/api/v1/sites", headers=bearer).status_code == 401
    spec = api.get("/api/v1/openapi.json").json()
    assert {"/api/v1/sites", "/api/v1/sites/{site_code}", "/api/v1/runs", "/api/v1/findings"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert not any(p.startswith("/sites") or p == "/" for p in spec["paths"])  # pages stay out of the API


def test_overview_numbers_are_the_circulars_figures(admin: TestClient, web: WebData) -> None:
    with web.store.session() as session:
        figures = fig.build(session, period="2020Q1")
    page = admin.get("/?sel=period:2020Q1").text
    assert f'id="pass-rate">{figures.rate_text}<' in page
    assert f"{figures.checked}</span>" in page
    assert "2019年第四季度" in page and "2020年第一季度" in page  # the trend over periods
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)[1]  # type: ignore[index]
    assert "<" not in data  # names in the chart data are JSON-escaped, never markup
    assert '"trend"' in data and '"regions"' in data
    partial = admin.get("/?sel=period:2019Q4", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text and "pass-rate" in partial.text


def test_site_page_shows_verdict_scores_findings_and_history(admin: TestClient, web: WebData) -> None:
    page = admin.get(f"/sites/{web.codes[0]}").text
    with web.store.session() as session:
        result = session.scalar(
            select(SiteResult).where(SiteResult.site_code == web.codes[0], SiteResult.run_id == web.run_id)
        )
        messages = [f.message for f in result.findings]
        verdict = result.verdict
    assert f"verdict-big {'pass' if verdict == '合格' else 'fail'}" in page
    assert f'href="/sites/{web.codes[0]}?run={web.previous_run_id}"' in page  # history
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for message in messages:
        assert message in text
    finding = finding_ids(web, web.codes[0])[0]
    detail = admin.get(f"/findings/{finding}").text
    assert 'id="evidence"' in detail and "问题页面" in detail
    older = admin.get(f"/sites/{web.codes[0]}?run={web.previous_run_id}").text
    assert "2019-12-31" in older
    assert admin.get(f"/sites/{web.codes[0]}?run=99999").status_code == 404


def test_hostile_content_is_escaped_on_every_page_and_in_the_api(admin: TestClient, web: WebData) -> None:
    pages = ["/", "/sites", f"/sites/{PAYLOAD_CODE}", f"/runs/{web.run_id}", "/runs", "/users", "/profile"]
    pages += [f"/findings/{f}" for f in finding_ids(web, PAYLOAD_CODE)]
    for path in pages:
        text = admin.get(path).text
        for raw in RAW_PAYLOADS:
            assert raw not in text, (path, raw)
    site_page = admin.get(f"/sites/{PAYLOAD_CODE}").text
    assert "攻击测试网站&lt;img src=x onerror=" in site_page  # shown as text
    serious = [
        f for f in admin.get(f"/api/v1/findings?site={PAYLOAD_CODE}").json()["findings"]
        if f["check"] == "content.serious_error"
    ]  # fmt: skip
    assert serious and "习近平新时代中国特色社会主意思想" in serious[0]["evidence"]["text"]
    detail = admin.get(f"/findings/{serious[0]['id']}").text
    assert "<mark>习近平新时代中国特色社会主意思想</mark>" in detail  # the offending words, highlighted
    assert "&lt;b data-pwned=1&gt;" in detail


def test_the_snapshot_is_sanitised_and_sandboxed(admin: TestClient, web: WebData) -> None:
    with web.store.session() as session:
        row = session.execute(
            select(FindingRow.id)
            .join(SiteResult)
            .where(
                SiteResult.site_code == PAYLOAD_CODE,
                SiteResult.run_id == web.run_id,
                FindingRow.check == "content.serious_error",
                FindingRow.snapshot_id.is_not(None),
            )
        ).first()
    assert row is not None
    r = admin.get(f"/findings/{row[0]}/snapshot")
    assert r.status_code == 200
    assert r.headers["content-security-policy"].startswith("sandbox;")
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' covers scripts
    tree = lxml.html.document_fromstring(r.text)
    tags = {e.tag for e in tree.iter() if isinstance(e.tag, str)}
    assert not tags & {"script", "img", "iframe", "svg", "a", "form", "object", "embed", "link", "base"}, tags
    attributes = {name for e in tree.iter() if isinstance(e.tag, str) for name in e.attrib}
    assert attributes <= {"charset", "class", "id", "title", "colspan", "rowspan"}, attributes
    links = [e.get("title") for e in tree.iter("span") if e.get("class") == "gi-link"]
    assert "链接：javascript:window.__pwned=11" in links  # an address shown as a tooltip, never followed
    assert '<mark id="mark-1">习近平新时代中国特色社会主意思想</mark>' in r.text
    assert "&lt;b data-pwned=1&gt;注入&lt;/b&gt;" in r.text  # the page's text, escaped


def test_sanitiser_keeps_text_and_structure_only() -> None:
    deep = "<div>" * 200 + "深处" + "</div>" * 200  # deeper than the sanitiser copies, within libxml2's limit
    body = f"""<html><body><p style="color:red" onclick="x()">甲<!-- 注释 -->乙<a href="http://x/">链</a></p>
    <table><tr><td colspan="2" onmouseover="y()">单元</td><td rowspan="javascript:1">z</td></tr></table>
    <form action="http://evil/"><input value="输入"><button>提交</button></form>
    <math><mi>x</mi></math><custom-tag data-x="1">自定义</custom-tag>{deep}
    <object data="x.swf"></object><base href="http://evil/"><meta http-equiv="refresh" content="0;url=http://evil/">
    </body></html>""".encode()
    shown = sanitise(body, content_type="text/html; charset=utf-8", highlight="乙")
    html = shown.html
    assert "甲" in html and "链" in html and "单元" in html and "自定义" in html and "深处" in html
    assert shown.marks == 1 and '<mark id="mark-1">乙</mark>' in html
    assert '<td colspan="2">' in html and "rowspan" not in html
    for gone in (
        "style=",
        "onclick",
        "onmouseover",
        "<form",
        "<input",
        "<button",
        "<math",
        "<object",
        "<base",
        "http-equiv",
        "custom-tag",
        "注释",
    ):
        assert gone not in html, gone
    gbk = sanitise(
        "<p>错别字在这里</p>".encode("gbk"), content_type="text/html; charset=gbk", highlight="错别字"
    )
    assert gbk.marks == 1
    binary = sanitise(b"%PDF-1.4\x00\x01\x02" * 50)
    assert "不是网页文本" in binary.html


def test_accounts_are_managed_by_administrators(app, admin: TestClient, web: WebData) -> None:  # type: ignore[no-untyped-def]
    token = csrf(admin)
    missing_unit = admin.post(
        "/users",
        data={
            "username": "unit3",
            "display_name": "三号",
            "role": "unit",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert missing_unit.status_code == 400 and "至少要关联一个主办单位" in missing_unit.text
    short = admin.post(
        "/users",
        data={
            "username": "unit3",
            "role": "unit",
            "password": "short",
            "units": str(web.unit_id),
            "csrf_token": token,
        },
    )
    assert short.status_code == 400 and "密码至少需要" in short.text
    made = admin.post(
        "/users",
        data={
            "username": "Unit3",
            "display_name": "三号",
            "role": "unit",
            "password": PASSWORD,
            "units": str(web.unit_id),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    unit3 = signed_in(app, "unit3")
    assert [s["site_code"] for s in unit3.get("/api/v1/sites").json()["sites"]] == [web.mine]
    with web.store.session() as session:
        unit3_id = session.scalar(select(User.id).where(User.username == "unit3"))
        admin_id = session.scalar(select(User.id).where(User.username == "admin"))
    admin.post(
        f"/users/{unit3_id}",
        data={"display_name": "三号", "role": "inspector", "active": "1", "csrf_token": token},
    )
    assert unit3.get("/sites", follow_redirects=False).status_code == 303  # a role change signs the user out
    last = admin.post(
        f"/users/{admin_id}",
        data={"display_name": "管理员", "role": "inspector", "active": "1", "csrf_token": token},
    )
    assert last.status_code == 400 and "唯一启用的管理员" in last.text
    admin.post(f"/users/{unit3_id}", data={"role": "inspector", "active": "0", "csrf_token": token})
    disabled = client(app)
    r = disabled.post(
        "/login", data={"username": "unit3", "password": PASSWORD, "csrf_token": login_csrf(disabled)}
    )
    assert r.status_code == 401 and "已停用" in r.text


def test_own_password_change_signs_out(app, web: WebData) -> None:  # type: ignore[no-untyped-def]
    with web.store.session() as session:
        auth.create_user(session, "changer", "改密", "inspector", PASSWORD)
    c = signed_in(app, "changer")
    token = csrf(c)
    mismatch = c.post(
        "/account/password",
        data={"current": PASSWORD, "password": "New-Password-77", "again": "x", "csrf_token": token},
    )
    assert mismatch.status_code == 400
    wrong = c.post(
        "/account/password",
        data={
            "current": "wrong-wrong",
            "password": "New-Password-77",
            "again": "New-Password-77",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    done = c.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "New-Password-77",
            "again": "New-Password-77",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert c.get("/sites", follow_redirects=False).status_code == 303
    signed_in(app, "changer", "New-Password-77")


def test_security_headers_and_missing_assets_message(
    app, admin: TestClient, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    r = admin.get("/sites")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "object-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    assert "前端组件未安装" not in r.text
    monkeypatch.setattr("govinspect.web.app.VENDOR", tmp_path)
    missing = admin.get("/sites").text
    assert "前端组件未安装" in missing and "make assets" in missing and "/static/vendor/" not in missing


def test_plain_http_deployments_are_told_why_sign_in_fails(web: WebData) -> None:
    secure = TestClient(create_app(web.settings, store=web.store), base_url="http://10.1.2.3:8000")
    assert "--http-cookies" in secure.get("/login").text
    insecure_app = create_app(web.settings, store=web.store, secure_cookies=False)
    plain = TestClient(insecure_app, base_url="http://10.1.2.3:8000")
    assert "--http-cookies" not in plain.get("/login").text
    token = login_csrf(plain)
    r = plain.post(
        "/login",
        data={"username": "inspector", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert (
        r.headers["set-cookie"].startswith("gi_session=") and "secure" not in r.headers["set-cookie"].lower()
    )
    assert plain.get("/sites").status_code == 200


def test_cli_creates_accounts_and_tokens(web: WebData, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from govinspect.cli import app as cli

    monkeypatch.setenv("GOVINSPECT_HOME", str(web.settings.home))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    runner = CliRunner()
    with web.store.session() as session:
        unit_name = session.scalar(select(Unit.name).where(Unit.id == web.unit_id))
    made = runner.invoke(
        cli,
        ["user", "add", "cliunit", "--role", "主办单位用户", "--unit", unit_name, "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    bad = runner.invoke(
        cli,
        ["user", "add", "cliunit2", "--role", "unit", "--unit", "不存在的单位", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert bad.exit_code == 1 and "名录中没有主办单位" in bad.output
    listed = runner.invoke(cli, ["user", "list"])
    assert "cliunit" in listed.output and unit_name in listed.output
    token = runner.invoke(cli, ["user", "token", "cliunit"]).output.strip().splitlines()[-1]
    assert token.startswith("gi_") and auth.token_principal(web.store, token).unit_ids == {web.unit_id}  # type: ignore[union-attr]
    assert "--http-cookies" in runner.invoke(cli, ["serve", "--help"]).output


def test_migration_0006_goes_down_and_up(tmp_path: Path) -> None:
    from alembic import command

    from govinspect.store.db import _alembic_config, current_revision, head_revision

    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    with store.engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0005")
    assert current_revision(store.engine) == "0005"
    with store.engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "head")
    assert current_revision(store.engine) == head_revision()  # later migrations (0007…) follow 0006
    store.dispose()


@pytest.fixture(scope="module", autouse=True)
def _no_leftover_throttle(web: WebData) -> Iterator[None]:
    yield
    with web.store.session() as session:
        session.execute(LoginThrottle.__table__.delete())


def test_pages_and_scopes_on_each_database(store: Store, farm: Farm, tmp_path: Path) -> None:
    """The same pages and the unit scope on SQLite and PostgreSQL (results written directly: no crawl)."""
    service.import_file(store, farm.registry_csv)
    settings = Settings(home=tmp_path, database_url="unused")
    with store.session() as session:
        sites = list(session.scalars(select(Site).order_by(Site.site_code).limit(3)))
        for period, as_of in (("2019Q4", date(2019, 12, 31)), ("2020Q1", date(2020, 3, 31))):
            run = Run(as_of=as_of, period=period, profile="national-2019", status="finished")
            session.add(run)
            session.flush()
            for index, site in enumerate(sites):
                failed = index == 0
                result = SiteResult(
                    run_id=run.id,
                    site_id=site.id,
                    site_code=site.site_code,
                    verdict="不合格" if failed else "合格",
                    score=None if failed else 95.0,
                    vetoes=["首页不更新"] if failed else [],
                    model={"large": "x" * 1000},
                )
                result.findings.append(
                    FindingRow(
                        check="freshness.homepage_stale" if failed else "footer.icp",
                        severity="veto" if failed else "deduction",
                        raw_severity="deduction",
                        url=site.url,
                        message="首页最新信息发布于 2020-02-16",
                        evidence={"latest": "2020-02-16", "text": "<script>x</script>"},
                    )
                )
                session.add(result)
        auth.create_user(session, "pg-admin", "管理员", "admin", PASSWORD)
        auth.create_user(session, "pg-unit", "单位", "unit", PASSWORD, [sites[1].unit_id])
        mine, other = sites[1].site_code, sites[0].site_code
    previous_hasher, auth._hasher = auth._hasher, CHEAP_HASHER
    try:
        app = create_app(settings, store=store)
        admin = signed_in(app, "pg-admin")
        for path in (
            "/",
            "/sites",
            f"/sites/{other}",
            "/runs",
            "/runs/2",
            "/profile",
            "/users",
            "/api/v1/findings",
        ):
            assert admin.get(path).status_code == 200, path
        assert 'id="pass-rate">66.67%<' in admin.get("/?sel=period:2020Q1").text
        assert (
            "&lt;script&gt;x&lt;/script&gt;" in admin.get(f"/findings/{finding_ids_in(store, other)[0]}").text
        )
        unit = signed_in(app, "pg-unit")
        assert [s["site_code"] for s in unit.get("/api/v1/sites").json()["sites"]] == [mine]
        assert unit.get(f"/sites/{other}").status_code == 404
        assert unit.get(f"/findings/{finding_ids_in(store, other)[0]}").status_code == 404
        assert 'id="pass-rate">100.00%<' in unit.get("/").text
    finally:
        auth._hasher = previous_hasher


def finding_ids_in(store: Store, site_code: str) -> list[int]:
    with store.session() as session:
        query = select(FindingRow.id).join(SiteResult).where(SiteResult.site_code == site_code)
        return list(session.scalars(query.order_by(FindingRow.id.desc())))
