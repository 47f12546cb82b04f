"""检查任务 from the web through FastAPI's test client: an inspector draws a plan over a two-site registry of farm
sites (errors beside the fields), starts it — the real ``govinspect run start`` spawned as a detached process
on the same database — is refused a second start, follows the progress (page and /api/v1) until it is done,
and finds the results stored; unit users get 404 on every plan and progress route.

The registry (:func:`runs_data`) is built once and shared with tests/test_web_runs_browser.py.
"""

from __future__ import annotations

import itertools
import re
import socket
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govinspect.config import Settings, load_settings
from govinspect.farm import Farm
from govinspect.registry import service
from govinspect.store import Store, open_store
from govinspect.store.models import Site
from govinspect.store.results import Run, SiteResult
from govinspect.store.users import User
from govinspect.web import auth
from govinspect.web.app import create_app
from tests.test_web_app import CHEAP_HASHER, PASSWORD, account_fixture, client, csrf

RUN_TIMEOUT_S = 240  # the run itself takes half a minute on a quiet machine


@dataclass
class RunsData:
    settings: Settings
    store: Store
    farm: Farm
    codes: list[str]  # the registry: one farm site that fails, one that passes (plain http sites)
    unit_site: str  # the site of unit1's unit


_SHARED: dict[str, RunsData] = {}


def runs_data(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> RunsData:
    """A data folder whose registry holds two farm sites, with an administrator, an inspector and a unit user."""
    if "data" in _SHARED:
        return _SHARED["data"]
    auth._hasher = CHEAP_HASHER  # as tests/test_web_app.py: sign-ins hash cheaply
    home = tmp_path_factory.mktemp("runs-home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    expected = {s["site_code"]: s["expected_verdict"] for s in farm.truth()["sites"]}
    plain = [s.site_code for s in farm.sites if s.behaviour is None and s.url.startswith("http://")]
    codes = [next(c for c in plain if expected[c] == v) for v in ("不合格", "合格")]
    lines = farm.registry_csv.read_text(encoding="utf-8-sig").splitlines()
    registry = home / "registry.csv"
    registry.write_text(
        "\n".join([lines[0], *(line for line in lines[1:] if line.split(",", 1)[0] in codes)]) + "\n",
        encoding="utf-8",
    )
    service.import_file(store, registry)
    with store.session() as session:
        unit_id = session.scalar(select(Site.unit_id).where(Site.site_code == codes[1]))
        for username, role in (("admin", "admin"), ("inspector", "inspector"), ("unit1", "unit")):
            auth.create_user(
                session, username, f"{username}测试", role, PASSWORD, [unit_id] if role == "unit" else []
            )
    _SHARED["data"] = RunsData(settings, store, farm, codes, codes[1])
    return _SHARED["data"]


@pytest.fixture(scope="module")
def rw(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> RunsData:
    return runs_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def app(rw: RunsData):  # type: ignore[no-untyped-def]
    return create_app(rw.settings, store=rw.store)


inspector = account_fixture("inspector")
unit1 = account_fixture("unit1")


def field_error(html: str, name: str) -> str:
    found = lxml.html.fromstring(html).xpath(f'//*[@id="error-{name}"]')
    return found[0].text_content() if found else ""


def banner(html: str, element_id: str) -> str:
    found = lxml.html.fromstring(html).xpath(f'//*[@id="{element_id}"]')
    return found[0].text_content() if found else ""


def make_plan(c: TestClient, **fields: object) -> int:
    r = c.post("/runs/plans", data={"csrf_token": csrf(c), **fields}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return int(re.fullmatch(r"/runs/plans/(\d+)", r.headers["location"])[1])  # type: ignore[index]


def wait_for_run(c: TestClient, plan_id: int) -> int:
    """Poll the plan's launch status as the page does until the command's run exists; its id."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = c.get(f"/runs/plans/{plan_id}/launch", headers={"HX-Request": "true"})
        if "HX-Redirect" in r.headers:
            target = r.headers["HX-Redirect"]
            assert re.fullmatch(r"/runs/\d+", target), (target, c.get(f"/runs/plans/{plan_id}").text)
            return int(target.rsplit("/", 1)[1])
        assert 'id="launch-status"' in r.text
        time.sleep(0.3)
    raise AssertionError("the run did not appear")


def test_plan_form_errors_are_shown_beside_their_fields(inspector: TestClient, rw: RunsData) -> None:
    token = csrf(inspector)
    r = inspector.post(
        "/runs/plans",
        data={"csrf_token": token, "period": "2020Q5", "mode": "sample", "ratio": "六成", "seed": "-3"},
    )
    assert r.status_code == 400
    assert "季度写作 2020Q1" in field_error(r.text, "period")
    assert "抽查比例“六成”格式不对" in field_error(r.text, "ratio")
    assert "随机种子" in field_error(r.text, "seed")
    assert 'value="2020Q5"' in r.text  # what was typed is shown again
    r = inspector.post(
        "/runs/plans",
        data={"csrf_token": token, "period": "2020Q1", "mode": "all", "include_failed_from": "2020Q2"},
    )
    assert r.status_code == 400 and "晚于本期" in field_error(r.text, "include_failed_from")
    r = inspector.post("/runs/plans", data={"period": "2020Q1", "mode": "all"})
    assert r.status_code == 403  # no CSRF token
    with rw.store.session() as session:
        assert session.scalar(select(Run.id)) is None


def test_an_inspector_plans_starts_and_follows_a_run(app, inspector: TestClient, rw: RunsData) -> None:  # type: ignore[no-untyped-def]
    plan_id = make_plan(inspector, period="2020Q1", mode="all", by=["region", "category"])
    page = inspector.get(f"/runs/plans/{plan_id}")
    assert page.status_code == 200
    sites = lxml.html.fromstring(page.text).xpath('//table[@id="plan-sites"]//td[@class="code"]/text()')
    assert sorted(sites) == sorted(rw.codes)
    assert "开始检查" in page.text and f'action="/runs/plans/{plan_id}/start"' in page.text

    start = {"csrf_token": csrf(inspector), "as_of": rw.farm.as_of.isoformat(), "max_pages": "1"}
    r = inspector.post(f"/runs/plans/{plan_id}/start", data=start)  # farm sites are on loopback
    assert r.status_code == 400 and "指向内网或本机" in field_error(r.text, "allow_private")
    r = inspector.post(
        f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1", "as_of": "2019-12-31"}
    )
    assert r.status_code == 400 and "早于检查期" in field_error(r.text, "as_of")
    r = inspector.post(f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1", "max_pages": "0"})
    assert r.status_code == 400 and "1 到 100000" in field_error(r.text, "max_pages")

    r = inspector.post(
        f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/runs/plans/{plan_id}"
    again = inspector.post(f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1"})
    assert again.status_code == 409 and "不能重复开始" in banner(again.text, "start-error")

    run_id = wait_for_run(inspector, plan_id)
    assert (
        inspector.post(f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1"}).status_code
        == 409
    )
    with rw.store.session() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        token = auth.create_api_token(session, admin, "progress")
    api = client(app)
    api.headers["Authorization"] = f"Bearer {token}"
    seen: list[dict] = []
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/runs/{run_id}/progress").json()
        seen.append(body)
        if body["status"] != "running":
            break
        fragment = inspector.get(f"/runs/{run_id}/progress", headers={"HX-Request": "true"})
        assert fragment.status_code in (200, 204)
        if fragment.status_code == 200:
            assert 'hx-trigger="every 2s"' in fragment.text and 'id="run-state"' in fragment.text
        time.sleep(1)
    last = seen[-1]
    assert last["status"] == "finished", (last, inspector.get(f"/runs/plans/{plan_id}").text[-3000:])
    assert last["phase"] == "finished" and last["phase_label"] == "完成" and last["failures"] == []
    assert last["total"] == last["done"] == 2 and last["passed"] == 1 and last["failed"] == 1
    assert last["plan_id"] == plan_id and last["percent"] == 100 and last["elapsed_seconds"] > 0
    assert {s["site_code"] for s in last["recent"]} == set(rw.codes)
    assert any(s["status"] == "running" and s["phase"] in ("crawl", "check") for s in seen)  # it was watched
    assert all(a["done"] <= b["done"] for a, b in itertools.pairwise(seen))

    with rw.store.session() as session:
        run = session.get(Run, run_id)
        assert run is not None and run.plan_id == plan_id and run.period == "2020Q1"
        assert run.as_of == rw.farm.as_of and run.options["crawl"]["max_pages"] == 1
        stored = dict(
            session.execute(
                select(SiteResult.site_code, SiteResult.verdict).where(SiteResult.run_id == run_id)
            ).all()
        )
    assert stored == {rw.codes[0]: "不合格", rw.codes[1]: "合格"}

    # The run's page: the final summary, no more polling; the poll, if one was still pending, reloads the page.
    page = inspector.get(f"/runs/{run_id}")
    assert banner(page.text, "run-state") == "完成" and "hx-trigger" not in banner(page.text, "run-progress")
    assert "检查完成：共检查 2 家网站，合格 1 家，不合格 1 家" in banner(page.text, "progress-summary")
    done = inspector.get(f"/runs/{run_id}/progress", headers={"HX-Request": "true"})
    assert done.status_code == 204 and done.headers["HX-Refresh"] == "true"
    # The launch left its record: the command, its pid, its exit code and its output.
    launch = app.state.web.launcher.latest(plan_id)
    deadline = time.monotonic() + 20
    while launch.exit_code is None and time.monotonic() < deadline:  # the waiting thread records it
        time.sleep(0.1)
        launch = app.state.web.launcher.latest(plan_id)
    assert launch.exit_code == 0 and launch.user == "inspector" and launch.owns(run_id)
    assert launch.command[-8:] == [
        *("run", "start", str(plan_id), "--max-pages", "1"),
        *("--as-of", rw.farm.as_of.isoformat(), "--allow-private-networks"),
    ]
    log = Path(rw.settings.home, "launches", f"{launch.name}.log").read_text(encoding="utf-8")
    assert f"检查任务：{run_id}" in log
    # The plan is done: starting it again needs 再查一遍 (the page's form sends it).
    r = inspector.post(f"/runs/plans/{plan_id}/start", data={**start, "allow_private": "1"})
    assert r.status_code == 400 and "再查一遍" in banner(r.text, "start-error")
    plan_page = inspector.get(f"/runs/plans/{plan_id}").text
    assert 'name="again" value="1"' in plan_page and f'href="/runs/{run_id}"' in plan_page
    listing = inspector.get("/runs").text
    assert f'href="/runs/plans/{plan_id}"' in listing and "新建检查计划" in listing


def test_unit_users_see_nothing_of_plans_or_progress(
    app, unit1: TestClient, inspector: TestClient, rw: RunsData
) -> None:  # type: ignore[no-untyped-def]
    plan_id = make_plan(inspector, period="2020Q2", mode="sample", ratio="50%", by=["category"], seed="7")
    token = csrf(unit1)
    assert "新建检查计划" not in unit1.get("/runs").text
    assert unit1.get(f"/runs/plans/{plan_id}").status_code == 404
    assert unit1.get(f"/runs/plans/{plan_id}/launch").status_code == 404
    assert (
        unit1.post("/runs/plans", data={"csrf_token": token, "period": "2020Q3", "mode": "all"}).status_code
        == 404
    )
    r = unit1.post(
        f"/runs/plans/{plan_id}/start",
        data={"csrf_token": token, "as_of": "2020-06-30", "allow_private": "1"},
    )
    assert r.status_code == 404
    assert app.state.web.launcher.latest(plan_id) is None  # nothing was started
    with rw.store.session() as session:
        run_id = session.scalar(select(Run.id).order_by(Run.id.desc()))
        assert session.scalar(select(Run.id).where(Run.plan_id == plan_id)) is None
    if run_id is not None:  # the run the inspector started (when that test ran first)
        assert unit1.get(f"/runs/{run_id}/progress").status_code == 404
        assert unit1.get(f"/api/v1/runs/{run_id}/progress").status_code == 404
        assert 'id="run-progress"' not in unit1.get(f"/runs/{run_id}").text
    assert unit1.get("/api/v1/runs/1/progress").status_code == 404
    spec = inspector.get("/api/v1/openapi.json").json()
    assert "/api/v1/runs/{run_id}/progress" in spec["paths"]


def test_a_run_whose_process_died_is_offered_to_continue(inspector: TestClient, rw: RunsData) -> None:
    plan_id = make_plan(inspector, period="2020Q3", mode="all", seed="1")
    gone = 2**30  # above any pid_max: no such process
    with rw.store.session() as session:
        run = Run(
            period="2020Q3",
            as_of=date(2020, 9, 30),
            profile="national-2019",
            plan_id=plan_id,
            options={"sites": 2, "plan": plan_id, "attempts": [{"host": socket.gethostname(), "pid": gone}]},
        )
        session.add(run)
        session.flush()
        run_id = run.id
    page = inspector.get(f"/runs/plans/{plan_id}").text
    assert 'name="resume" value="1"' in page and "还有 2 家未检查" in page
    assert 'name="as_of"' not in page  # a resumed run keeps its monitoring date
    shown = inspector.get(f"/runs/{run_id}").text
    assert banner(shown, "run-state") == "执行中断" and "hx-trigger" not in banner(shown, "run-progress")
    assert "可在检查计划页面点击“继续检查”" in banner(shown, "run-progress")
    body = inspector.get(f"/api/v1/runs/{run_id}/progress").json()  # the session cookie reads the API too
    assert body["phase"] == "stalled" and body["done"] == 0 and body["total"] == 2


def test_a_command_that_fails_is_reported_on_the_plan_page(app, inspector: TestClient, rw: RunsData) -> None:  # type: ignore[no-untyped-def]
    plan_id = make_plan(inspector, period="2020Q4", mode="all")
    launcher = app.state.web.launcher
    arguments = ["--as-of", "2020-12-31", "--profile", "no-such-profile", "--allow-private-networks"]
    launcher.start(plan_id, arguments, user="inspector", after_run=0, resume_run=None)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = inspector.get(f"/runs/plans/{plan_id}/launch", headers={"HX-Request": "true"})
        if "HX-Redirect" in r.headers:
            break
        time.sleep(0.3)
    assert r.headers["HX-Redirect"] == f"/runs/plans/{plan_id}"  # back to the plan: no run began
    launch = launcher.latest(plan_id)
    assert launch.exit_code not in (None, 0)
    page = inspector.get(f"/runs/plans/{plan_id}").text
    assert "上次开始检查未成功" in banner(page, "launch-failed") and "no-such-profile" in banner(
        page, "launch-failed"
    )
    assert 'id="start-form"' in page  # it can be started again
