"""The ``govinspect`` command. Help and messages in Chinese; command names in English."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from govinspect import __version__
from govinspect.config import ConfigError, Settings, load_settings
from govinspect.console import console, err
from govinspect.farm.cli import app as farm_app
from govinspect.registry import service
from govinspect.registry.tabular import RegistryFileError
from govinspect.registry.validate import account_rows, site_rows
from govinspect.scoring.rates import percent_text
from govinspect.store import Store, open_store
from govinspect.store.db import StoreError
from govinspect.views import print_outcomes, progress_bar

if TYPE_CHECKING:
    from govinspect.runs.inspect import InspectionResult, InspectOptions
    from govinspect.runs.period import Period
    from govinspect.runs.plan import PlanView
    from govinspect.scoring.profile import Profile

T = TypeVar("T")

app = typer.Typer(
    help="govinspect：政府网站与政务新媒体检查、评分、通报与整改跟踪。",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)
registry_app = typer.Typer(help="网站与政务新媒体名录：导入、查看、导出。", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
columns_app = typer.Typer(
    help="栏目更正：导出识别出的栏目，由检查人员更正类别、更新周期或忽略后导入。", no_args_is_help=True
)
app.add_typer(columns_app, name="columns")
app.add_typer(farm_app, name="farm")
from govinspect.text.cli import app as text_app  # noqa: E402  (registered beside farm)

app.add_typer(text_app, name="text")
from govinspect.workdays.cli import app as workdays_app  # noqa: E402  (registered beside text)

app.add_typer(workdays_app, name="workdays")
from govinspect.reports.cli import app as report_app  # noqa: E402  (registered beside workdays)

app.add_typer(report_app, name="report")
from govinspect.web.cli import serve, users_app  # noqa: E402  (registered beside report)

app.command()(serve)
app.add_typer(users_app, name="user")
from govinspect.rectify.cli import app as rectify_app  # noqa: E402  (rectification and 找错)

app.add_typer(rectify_app, name="rectify")
from govinspect.newmedia.cli import app as newmedia_app  # noqa: E402  (government new media)

app.add_typer(newmedia_app, name="newmedia")
from govinspect.monitor.cli import (  # noqa: E402  (continuous monitoring)
    beat,
    monitor,
    probe,
    snapshots_app,
    uptime,
    worker,
)

for _command in (probe, monitor, uptime, worker, beat):
    app.command()(_command)
app.add_typer(snapshots_app, name="snapshots")


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{message}", highlight=False)
    return typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def store() -> Store:
    try:
        return open_store(settings().database_url)
    except StoreError as exc:
        raise fail(str(exc)) from exc


def _version(value: bool) -> None:
    if value:
        console.print(f"govinspect {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号并退出。")
    ] = False,
) -> None:
    """govinspect：政府网站与政务新媒体检查工具。"""


@app.command()
def status() -> None:
    """显示数据目录、数据库与名录概况。"""
    from govinspect.store.db import current_revision

    conf = settings()
    db = store()
    with db.session() as session:
        summary = service.site_summary(session, running_only=False)
        accounts = service.account_summary(session, running_only=False)
    console.print(f"数据目录：{conf.home}")
    console.print(
        f"数据库：{db.engine.url.render_as_string(hide_password=True)}（版本 {current_revision(db.engine)}）"
    )
    console.print(f"名录：网站 {summary.total()} 家，政务新媒体 {accounts.total()} 个")


def import_or_fail(db: Store, file: Path, *, skip_invalid: bool = False) -> service.ImportReport:
    """Import a registry file, or print every bad cell and exit: nothing is imported then."""
    try:
        return service.import_file(db, file, skip_invalid=skip_invalid)
    except RegistryFileError as exc:
        raise fail(str(exc)) from exc
    except service.RegistryImportError as exc:
        for error in exc.errors:
            err.print(f"  {error}", highlight=False)
        raise fail(
            f"{exc}。请修改后重新导入（govinspect registry import 可用 --skip-invalid 跳过错误行）。"
        ) from exc


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GB18030）或 XLSX 文件。", exists=False)],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="跳过有错误的行，导入其余的行。")
    ] = False,
) -> None:
    """导入网站或政务新媒体名录（按表头自动识别）；已有记录按标识码或平台+账号ID更新。"""
    with console.status(f"正在导入 {file.name} …"):
        report = import_or_fail(store(), file, skip_invalid=skip_invalid)
    kind = "网站" if report.kind == "sites" else "政务新媒体账号"
    console.print(
        f"已导入{kind} {report.total} 条：新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}。"
    )
    if report.skipped:
        console.print(f"[yellow]跳过 {report.skipped_rows} 行：[/]")
        for error in report.skipped:
            console.print(f"  {error}", highlight=False)


@registry_app.command("list")
def registry_list(
    kind: Annotated[str, typer.Option("--kind", help="sites（网站）或 accounts（政务新媒体）。")] = "sites",
    region: Annotated[str | None, typer.Option("--region", help="只列出该所属地区。")] = None,
    category: Annotated[str | None, typer.Option("--category", help="只列出该类别（或平台）。")] = None,
) -> None:
    """列出名录。"""
    if kind not in ("sites", "accounts"):
        raise fail("--kind 只能是 sites 或 accounts", code=2)
    with store().session() as session:
        if kind == "sites":
            table = Table("网站标识码", "网站名称", "首页网址", "主办单位", "所属地区", "类别", "运行状态")
            records = [
                service.site_record(s) for s in service.sites(session, region=region, category=category)
            ]
            for row in site_rows(records):
                table.add_row(*row[:7])
        else:
            table = Table("平台", "账号名称", "账号ID", "主办单位", "所属地区", "运行状态", "是否备案")
            found = service.accounts(session, region=region, platform=category)
            for row in account_rows(service.account_record(a) for a in found):
                table.add_row(*row)
    table.title = f"共 {table.row_count} 条"
    console.print(table)


@registry_app.command("export")
def registry_export(
    file: Annotated[Path, typer.Argument(help="输出文件，按扩展名写 CSV 或 XLSX。")],
    kind: Annotated[str, typer.Option("--kind", help="sites（网站）或 accounts（政务新媒体）。")] = "sites",
) -> None:
    """按导入格式导出名录。"""
    if kind not in ("sites", "accounts"):
        raise fail("--kind 只能是 sites 或 accounts", code=2)
    try:
        count = service.export_file(store(), file, kind)
    except RegistryFileError as exc:
        raise fail(str(exc)) from exc
    console.print(f"已导出 {count} 条到 {file}")


def summary_tables(db: Store) -> list[Table]:
    """Sites by region and category, and accounts by region and platform, with totals."""
    with db.session() as session:
        parts = [("网站", service.site_summary(session)), ("政务新媒体", service.account_summary(session))]
    tables = []
    for label, summary in parts:
        columns = [c for c in summary.columns if summary.total(column=c)]
        kind = "类别" if label == "网站" else "平台"
        table = Table(title=f"运行中的{label}（按地区与{kind}）")
        table.add_column("所属地区")
        for column in [*columns, "合计"]:
            table.add_column(column, justify="right")
        for region in summary.regions:
            table.add_row(
                region, *[str(summary.total(region, c)) for c in columns], str(summary.total(region))
            )
        table.add_section()
        table.add_row("合计", *[str(summary.total(column=c)) for c in columns], str(summary.total()))
        tables.append(table)
    return tables


@registry_app.command("summary")
def registry_summary() -> None:
    """按所属地区与类别统计运行中的网站和政务新媒体。"""
    for table in summary_tables(store()):
        console.print(table)


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("日期格式应为 YYYY-MM-DD", param_hint=option) from None


# The options `inspect` and `run start` share: one definition, one way to turn them into InspectOptions.
JsonOption = Annotated[Path | None, typer.Option("--json", help="按约定格式输出结果 JSON。")]
AllowPrivateOption = Annotated[
    bool,
    typer.Option("--allow-private-networks", help="允许访问内网和本机地址（仅限检查本辖区内网网站或测试）。"),
]
MaxPagesOption = Annotated[
    int, typer.Option("--max-pages", min=1, max=100_000, help="每个网站最多抓取的页面数。")
]
IgnoreRobotsOption = Annotated[
    bool, typer.Option("--ignore-robots", help="不遵守 robots.txt（仅限本辖区网站；运行记录会注明）。")
]
CaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        exists=True,
        dir_okay=False,
        readable=True,
        help="除系统证书库外，另信任此 PEM 文件中的根证书（本辖区自建CA、测试用网站集群的 ca.pem）。",
    ),
]


NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="使用任务队列（设置了 GOVINSPECT_BROKER_URL）时：提交后即返回，不等待检查完成；用 run watch 查看进度。",
    ),
]
BatchOption = Annotated[
    int | None,
    typer.Option("--batch", min=1, max=1000, help="使用任务队列时每个队列任务检查的网站数（缺省 10）。"),
]


@dataclass(frozen=True)
class CrawlChoices:
    """What the operator chose for a crawl on the command line (``inspect`` and ``run start``)."""

    max_pages: int = 200
    ignore_robots: bool = False
    allow_private: bool = False
    ca_file: Path | None = None


def _inspect_options(when: date, profile: str, period: str | None, crawl: CrawlChoices) -> InspectOptions:
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions

    return InspectOptions(
        as_of=when,
        profile=profile,
        period=period,
        crawl=CrawlOptions(
            max_pages=crawl.max_pages,
            obey_robots=not crawl.ignore_robots,
            allow_private_networks=crawl.allow_private,
        ),
        ca_file=str(crawl.ca_file) if crawl.ca_file else None,
    )


def _refuse_private(db: Store, codes: list[str], crawl: CrawlChoices) -> None:
    if crawl.allow_private:
        return
    refused = _refused_sites(db, codes)
    if refused:
        for line in refused:
            err.print(f"  {line}", highlight=False)
        raise fail(
            "以上网站地址指向内网或本机，已拒绝检查；如确为本辖区内网网站，请加 --allow-private-networks",
            code=2,
        )


def _with_progress(
    sites: int, crawl: CrawlChoices, work: Callable[[Callable[[str, int, int], None]], T]
) -> T:
    """Run an inspection under the crawl and check progress bars; a bad profile name is an error message."""
    from govinspect.scoring.profile import ProfileError

    with progress_bar() as bar:
        crawl_task = bar.add_task("抓取网站", total=sites * crawl.max_pages)
        check_task = bar.add_task("检查与评分", total=sites)
        requests: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage.startswith("crawl:"):
                requests[stage] = done
                bar.update(crawl_task, completed=sum(requests.values()))
            else:  # sites are judged as their crawl ends, while the others are still crawled
                if done >= total:
                    bar.update(crawl_task, completed=sites * crawl.max_pages)
                bar.update(check_task, completed=done, total=total)

        try:
            return work(progress)
        except ProfileError as exc:
            raise fail(str(exc)) from exc


def _period_of(value: str | None, when: date, option: str = "--period") -> Period:
    """The given period (validated), else the quarter of ``when``; a period that begins after ``when`` is refused."""
    from govinspect.runs.period import PeriodError, check_as_of, parse_period, quarter_of

    try:
        period = parse_period(value) if value is not None else quarter_of(when)
        check_as_of(period, when)
    except PeriodError as exc:
        raise fail(f"{option}：{exc}", code=2) from None
    return period


@app.command()
def inspect(
    as_of: Annotated[str | None, typer.Option("--as-of", help="监测时间点，格式 YYYY-MM-DD。")] = None,
    sites_file: Annotated[
        Path | None, typer.Option("--sites", help="先导入（或更新）此名录文件中的网站，再检查它们。")
    ] = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="按网站标识码检查（可重复）。")] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="检查名录中所有运行中的网站。")] = False,
    profile: Annotated[str, typer.Option("--profile", help="指标配置。")] = "national-2019",
    period: Annotated[
        str | None,
        typer.Option("--period", help="检查期：季度 2020Q1 或月份 2020-03（缺省为监测时间点所在季度）。"),
    ] = None,
    json_out: JsonOption = None,
    allow_private: AllowPrivateOption = False,
    max_pages: MaxPagesOption = 200,
    ignore_robots: IgnoreRobotsOption = False,
    ca_file: CaFileOption = None,
    resume: Annotated[
        int | None,
        typer.Option("--resume", help="续查中断的检查（编号）：只检查尚无结果的网站，计入同一检查。"),
    ] = None,
    no_wait: NoWaitOption = False,
    batch: BatchOption = None,
) -> None:
    """检查网站：抓取、提取、按指标检查并评分，保存结果并输出汇总（可选输出 JSON）。

    设置了 GOVINSPECT_BROKER_URL 时提交到任务队列，由 govinspect worker 执行，本命令等待并显示进度。"""
    from govinspect.runs.inspect import inspect_sites

    queue = Queueing(no_wait, batch)
    if resume is not None:
        return _resume_run(resume, json_out, max_pages, ignore_robots, allow_private, ca_file, queue)
    if as_of is None:
        raise fail("请用 --as-of 指定监测时间点", code=2)
    when = _parse_date(as_of, "--as-of")
    checked_period = _period_of(period, when)
    crawl = CrawlChoices(
        max_pages=max_pages, ignore_robots=ignore_robots, allow_private=allow_private, ca_file=ca_file
    )
    db = store()
    codes: list[str] = list(site or [])
    if sites_file is not None:
        report = import_or_fail(db, sites_file)
        if report.kind != "sites":
            raise fail(f"{sites_file.name} 是政务新媒体名录，不是网站名录")
        codes += [code for code in report.keys if code not in codes]
    if all_sites:
        with db.session() as session:
            codes += [
                s.site_code for s in service.sites(session) if s.status == "运行" and s.site_code not in codes
            ]
    if not codes:
        raise fail("请用 --sites、--site 或 --all 指定要检查的网站", code=2)
    with db.session() as session:
        known = {s.site_code for s in service.sites(session)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise fail(f"名录中没有这些网站标识码：{'、'.join(unknown)}")

    _refuse_private(db, codes, crawl)
    options = _inspect_options(when, profile, checked_period.text, crawl)
    if settings().broker_url:
        from govinspect.tasks import enqueue_run

        with _queue_errors():
            run_id, tasks = enqueue_run(
                settings().broker_url, db, codes, as_of=when, options=options, batch=queue.size
            )
        _queued(run_id, len(codes), len(tasks))
        if not queue.no_wait:
            _finish_run(_wait_for(db, run_id), when, json_out, checked_period.text)
        return
    result = _with_progress(
        len(codes), crawl, lambda progress: inspect_sites(db, settings(), codes, options, progress=progress)
    )
    _finish_run(result, when, json_out, checked_period.text)


@dataclass(frozen=True)
class Queueing:
    """How ``inspect`` and ``run start`` use the task queue when ``GOVINSPECT_BROKER_URL`` is set."""

    no_wait: bool = False
    batch: int | None = None

    @property
    def size(self) -> int:
        from govinspect.tasks import DEFAULT_BATCH

        return self.batch or DEFAULT_BATCH


@contextmanager
def _queue_errors() -> Iterator[None]:
    """A broker that does not answer is an error message, not a traceback."""
    from kombu.exceptions import OperationalError

    from govinspect.tasks import check_broker

    try:
        check_broker(settings().broker_url or "")
        yield
    except OperationalError as exc:
        raise fail(f"无法连接任务队列（GOVINSPECT_BROKER_URL）：{exc}") from exc


def _queued(run_id: int, sites: int, tasks: int) -> None:
    console.print(
        f"已提交检查任务 {run_id}：{sites} 个网站，{tasks} 个队列任务，由 govinspect worker 执行。"
        f"查看进度：govinspect run watch {run_id}",
        highlight=False,
    )


def _wait_for(db: Store, run_id: int) -> InspectionResult:
    """Wait for a queued run with a progress bar of sites stored; Ctrl-C leaves it to the workers."""
    from govinspect.runs.queued import RunProgress, queued_result, run_progress, wait_for_run

    first = run_progress(db, run_id)
    try:
        with progress_bar() as bar:
            task = bar.add_task("检查网站（任务队列）", total=first.total or None, completed=first.done)

            def show(state: RunProgress) -> None:
                bar.update(task, completed=state.done, total=state.total or None)

            state = wait_for_run(db, run_id, progress=show)
    except KeyboardInterrupt:
        console.print(
            f"已停止等待；检查任务 {run_id} 仍由 worker 继续执行。查看进度：govinspect run watch {run_id}",
            highlight=False,
        )
        raise typer.Exit(130) from None
    if state.status != "finished":
        raise fail(f"检查任务 {run_id} 未完成（状态：{RUN_STATUS.get(state.status, state.status)}）")
    return queued_result(db, settings(), run_id)


def _resume_run(
    run_id: int,
    json_out: Path | None,
    max_pages: int,
    ignore_robots: bool,
    allow_private: bool,
    ca_file: Path | None,
    queue: Queueing | None = None,
) -> None:
    """``inspect --resume``: the run's date and period, the options given now; with a broker, the sites
    without a result are queued again (a site a late task stores meanwhile is still counted once)."""
    from govinspect.runs.resume import ResumeError, resume_run, run_state
    from govinspect.store.results import Run

    db = store()
    try:
        state = run_state(db, run_id)
    except ResumeError as exc:
        raise fail(str(exc)) from exc
    crawl = CrawlChoices(
        max_pages=max_pages, ignore_robots=ignore_robots, allow_private=allow_private, ca_file=ca_file
    )
    _refuse_private(db, list(state.remaining), crawl)
    with db.session() as session:
        run = session.get(Run, run_id)
        when, period = run.as_of, run.period  # type: ignore[union-attr]
    options = _inspect_options(when, "national-2019", period, crawl)
    console.print(f"续查检查 {run_id}：已完成 {len(state.done)} 家，尚余 {len(state.remaining)} 家")
    if settings().broker_url and state.remaining and state.status != "finished":
        from dataclasses import replace

        from govinspect.tasks import enqueue_inspections

        queue = queue or Queueing()
        with db.session() as session:
            stored = session.get(Run, run_id)
            name = (stored.options or {}).get("profile_name") or stored.profile  # type: ignore[union-attr]
        options = replace(options, profile=name)
        with _queue_errors():
            tasks = enqueue_inspections(
                settings().broker_url,
                state.remaining,
                as_of=when,
                run_id=run_id,
                batch=queue.size,
                options=options,
            )
        _queued(run_id, len(state.remaining), len(tasks))
        if not queue.no_wait:
            _finish_run(_wait_for(db, run_id), when, json_out, period)
        return
    try:
        result = _with_progress(
            max(len(state.remaining), 1),
            crawl,
            lambda progress: resume_run(db, settings(), run_id, options, progress=progress),
        )
    except ResumeError as exc:
        raise fail(str(exc)) from exc
    _finish_run(result, when, json_out, period)


def _finish_run(
    result: InspectionResult, when: date, json_out: Path | None, period: str | None = None
) -> None:
    from govinspect.runs.contract import document, write_json

    print_outcomes(result.outcomes, result.profile.id, when, result.run_id)
    for note in result.notes:
        console.print(Text(f"注意：{note}", style="yellow"))
    if period is not None:
        console.print(f"检查期：{period}")
    if json_out is not None:
        extra = {"run_id": result.run_id, **({"period": period} if period else {})}
        write_json(json_out, document(when, result.profile.id, result.outcomes, **extra))
        console.print(f"结果已写入 {json_out}")


@app.command()
def rescore(
    run: Annotated[int, typer.Argument(help="要重新评分的检查任务编号。")],
    profile: Annotated[str | None, typer.Option("--profile", help="指标配置（默认沿用原任务的）。")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="监测时间点 YYYY-MM-DD（默认沿用原任务的）。")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="按约定格式输出结果 JSON。")] = None,
) -> None:
    """不重新抓取，按另一指标配置或监测时间点对已保存的检查任务重新评分（应用最新的栏目更正），另存为新任务。"""
    from govinspect.runs.rescore import RescoreError, rescore_run
    from govinspect.scoring.profile import ProfileError

    when = _parse_date(as_of, "--as-of") if as_of else None
    try:
        result = rescore_run(store(), settings(), run, profile=profile, as_of=when)
    except (RescoreError, ProfileError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"已按新的条件对任务 {run} 重新评分，新任务编号 {result.run_id}。")
    _finish_run(result, result.as_of, json_out)


@app.command()
def show(
    site_code: Annotated[str, typer.Argument(help="网站标识码。")],
    run: Annotated[int | None, typer.Option("--run", help="检查任务编号（默认最近一次）。")] = None,
) -> None:
    """显示一个网站最近一次（或指定任务）的检查结果：结论、得分、否决与扣分依据、每个问题的证据。"""
    from govinspect.runs.show import ResultNotFound, load_result
    from govinspect.views import print_stored_result

    try:
        result = load_result(store(), site_code, run)
    except ResultNotFound as exc:
        raise fail(str(exc)) from exc
    print_stored_result(result)


def _profile_or_fail(name: str) -> Profile:
    from govinspect.scoring.profile import ProfileError, load_profile

    try:
        return load_profile(name, user_dir=settings().home / "profiles")
    except ProfileError as exc:
        raise fail(str(exc)) from exc


@columns_app.command("export")
def columns_export(
    file: Annotated[Path, typer.Argument(help="输出文件（.xlsx 或 .csv）。")],
    site: Annotated[
        list[str] | None, typer.Option("--site", help="网站标识码（可重复；默认全部已检查的网站）。")
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="栏目类别取自此指标配置。")] = "national-2019",
) -> None:
    """导出各网站最近一次检查识别出的栏目及已有更正，供检查人员更正。"""
    from govinspect.runs.columns import export_columns

    try:
        count = export_columns(store(), file, _profile_or_fail(profile), list(site or []))
    except RegistryFileError as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"已导出 {count} 个栏目到 {file}。在“更正类别”“更新周期（天）”“忽略”列填写更正后，用 govinspect columns import 导入。"
    )


@columns_app.command("import")
def columns_import(
    file: Annotated[Path, typer.Argument(help="更正后的栏目文件（.xlsx 或 .csv）。")],
    profile: Annotated[str, typer.Option("--profile", help="栏目类别取自此指标配置。")] = "national-2019",
) -> None:
    """导入栏目更正；之后的检查和重新评分都按更正判断。某行更正列全部清空即撤销该栏目的更正。"""
    from govinspect.runs.columns import ColumnFileError, import_columns

    try:
        report = import_columns(store(), file, _profile_or_fail(profile))
    except RegistryFileError as exc:
        raise fail(str(exc)) from exc
    except ColumnFileError as exc:
        for error in exc.errors:
            err.print(Text(f"  {error}"))
        raise fail(str(exc)) from exc
    console.print(
        f"已导入 {len(report.sites)} 个网站的栏目更正：新增 {report.created}，修改 {report.updated}，"
        f"撤销 {report.removed}，未变 {report.unchanged}。"
    )


def _refused_sites(db: Store, codes: list[str]) -> list[str]:
    """Sites whose address the SSRF guard refuses (a name that does not resolve is a finding, not a refusal)."""
    from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, UnresolvableError, check_url

    refused = []
    with db.session() as session:
        for site in service.sites(session):
            if site.site_code not in codes:
                continue
            try:
                check_url(site.url, GuardPolicy())
            except UnresolvableError:
                continue
            except BlockedAddressError as exc:
                refused.append(f"{site.site_code} {site.name}：{exc}")
    return refused


@app.command()
def demo(
    sites: Annotated[int, typer.Option("--sites", min=3, max=2000, help="模拟网站数量。")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子生成完全相同的网站）。")] = 2020,
    port: Annotated[int, typer.Option("--port", help="模拟网站监听的端口。")] = 18080,
) -> None:
    """演示：生成并启动一组模拟政府网站，导入名录并汇总，检查每个网站，输出结果、合格率及与标准答案的对照。"""
    from govinspect.demo import run_demo

    db = store()
    run_demo(db, settings(), sites=sites, seed=seed, port=port, summary=lambda: summary_tables(db))


# -- run plans (抽查/复查) and imported results --------------------------------------------------------------

run_app = typer.Typer(
    help="检查计划：按地区与类别分层抽查、复查上期不合格网站，并按计划执行检查。", no_args_is_help=True
)
app.add_typer(run_app, name="run")
results_app = typer.Typer(
    help="检查结果文件：导入（另一任务或其他工具按约定格式输出的 JSON）与导出。", no_args_is_help=True
)
app.add_typer(results_app, name="results")

_FIELD_LABELS = {"region": "所属地区", "category": "类别", "unit": "主办单位"}


def _plan_or_fail(action: Callable[[], T]) -> T:
    from govinspect.runs.period import PeriodError
    from govinspect.runs.plan import PlanError

    try:
        return action()
    except (PlanError, PeriodError) as exc:
        raise fail(str(exc)) from exc


def print_plan(plan: PlanView, *, sites: bool = False) -> None:
    """Per stratum: running sites, sampled, portals, re-checks; then the totals, the rule and the seed."""
    strata = " × ".join(_FIELD_LABELS.get(f, f) for f in plan.by) or "不分层"
    table = Table(title=f"检查计划 {plan.id}：{plan.period_label}（{plan.period}），按{strata}分层")
    for label in [*(_FIELD_LABELS.get(f, f) for f in plan.by)] or ["全部网站"]:
        table.add_column(label)
    for label in ("运行网站", "抽取", "其中门户", "其中复查", "抽查比例"):
        table.add_column(label, justify="right")
    for row in plan.strata:
        cells = [Text(v) for v in row.stratum] or [Text("全部")]
        table.add_row(
            *cells,
            str(row.total),
            str(row.sampled),
            str(row.portals),
            str(row.rechecks),
            percent_text(row.sampled, row.total),
        )
    table.add_section()
    total = sum(r.total for r in plan.strata)
    sampled = len(plan.sites)
    table.add_row(
        *(["合计"] + [""] * (max(len(plan.by), 1) - 1)),
        str(total),
        str(sampled),
        str(sum(1 for s in plan.sites if s.portal)),
        str(sum(1 for s in plan.sites if s.recheck)),
        percent_text(sampled, total),
    )
    console.print(table)
    console.print(
        Text(
            f"抽查比例 {plan.ratio_label}：每层抽取 ⌈比例 × 该层网站数⌉ 家（向上取整，非空层至少 1 家），"
            f"门户网站与复查网站必检并计入该层数量；其余按随机种子 {plan.seed} 抽签。"
        )
    )
    if plan.include_failed_from:
        console.print(
            Text(
                f"复查：{plan.include_failed_from} 不合格的网站 {sum(1 for s in plan.sites if s.recheck)} 家，已全部列入。"
            )
        )
    for note in plan.notes:
        console.print(Text(f"注意：{note}", style="yellow"))
    if plan.runs:
        shown = "、".join(f"{run_id}（{RUN_STATUS.get(status, status)}）" for run_id, status in plan.runs)
        console.print(Text(f"检查任务：{shown}"))
    if sites:
        listing = Table("网站标识码", "网站名称", *(_FIELD_LABELS.get(f, f) for f in plan.by), "列入原因")
        for site in plan.sites:
            why = "、".join(
                w for w, on in (("门户", site.portal), ("复查", site.recheck), ("抽签", site.drawn)) if on
            )
            listing.add_row(Text(site.site_code), Text(site.name), *(Text(v) for v in site.stratum), why)
        listing.title = f"计划中的网站（共 {len(plan.sites)} 家）"
        console.print(listing)


RUN_STATUS = {"running": "未完成", "finished": "已完成", "failed": "已中止"}


@run_app.command("plan")
def run_plan(
    period: Annotated[
        str | None, typer.Option("--period", help="检查期：季度 2020Q1 或月份 2020-03。")
    ] = None,
    ratio: Annotated[
        str | None, typer.Option("--ratio", help="抽查比例，如 0.6 或 60%（各层向上取整）。")
    ] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="全面检查：列入全部运行中的网站。")] = False,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="分层字段，逗号分隔：region（所属地区）、category（类别）、unit（主办单位）或 none。"
        ),
    ] = "region,category",
    include_failed_from: Annotated[
        str | None, typer.Option("--include-failed-from", help="复查此检查期不合格的网站（全部列入）。")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", min=0, help="随机种子：名录、种子与参数相同则计划相同（缺省随机生成并记录）。"
        ),
    ] = None,
    show_id: Annotated[
        int | None, typer.Option("--show", help="显示已保存的计划（含网站清单），不新建计划。")
    ] = None,
    list_sites: Annotated[bool, typer.Option("--sites", help="同时列出计划中的每个网站。")] = False,
) -> None:
    """制定检查计划：按地区与类别分层抽查（门户网站必检），复查上期不合格网站；计划保存后用 run start 执行。"""
    from govinspect.runs.period import parse_period
    from govinspect.runs.plan import load_plan, make_plan, parse_ratio, parse_strata

    db = store()
    if show_id is not None:
        print_plan(_plan_or_fail(lambda: load_plan(db, show_id)), sites=True)
        return
    if period is None:
        raise fail("请用 --period 指定检查期（如 2020Q1 或 2020-03）", code=2)
    if all_sites == (ratio is not None):
        raise fail("请指定 --ratio（抽查比例）或 --all（全面检查）之一", code=2)

    def draw() -> PlanView:
        return make_plan(
            db,
            parse_period(period),
            ratio=None if all_sites else parse_ratio(ratio or ""),
            by=parse_strata(by),
            include_failed_from=parse_period(include_failed_from) if include_failed_from else None,
            seed=seed,
        )

    plan = _plan_or_fail(draw)
    print_plan(plan, sites=list_sites)
    console.print(f"计划已保存，编号 {plan.id}。执行：govinspect run start {plan.id} --as-of YYYY-MM-DD")


@run_app.command("plans")
def run_plans(
    period: Annotated[str | None, typer.Option("--period", help="只列出该检查期的计划。")] = None,
) -> None:
    """列出已保存的检查计划及执行它们的检查任务。"""
    from govinspect.runs.period import parse_period
    from govinspect.runs.plan import list_plans

    db = store()
    plans = _plan_or_fail(lambda: list_plans(db, parse_period(period) if period else None))
    table = Table(
        "编号", "检查期", "抽查比例", "分层", "种子", "复查", "运行网站", "计划网站", "制定时间", "检查任务"
    )
    for p in plans:
        table.add_row(
            str(p.id),
            p.period,
            p.ratio,
            " × ".join(_FIELD_LABELS.get(f, f) for f in p.by) or "不分层",
            str(p.seed),
            p.include_failed_from or "—",
            str(p.population),
            str(p.size),
            p.created_at.strftime("%Y-%m-%d %H:%M"),
            "、".join(f"{r}（{RUN_STATUS.get(s, s)}）" for r, s in p.runs) or "—",
        )
    table.title = f"检查计划（共 {len(plans)} 个）"
    console.print(table)


@run_app.command("start")
def run_start(
    plan_id: Annotated[int, typer.Argument(help="检查计划编号（run plan 输出的编号）。")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="监测时间点 YYYY-MM-DD（缺省为今天；续跑时沿用原任务的）。")
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="指标配置（缺省 national-2019；续跑时沿用原任务的）。")
    ] = None,
    json_out: JsonOption = None,
    allow_private: AllowPrivateOption = False,
    max_pages: MaxPagesOption = 200,
    ignore_robots: IgnoreRobotsOption = False,
    again: Annotated[
        bool, typer.Option("--again", help="计划已检查完毕（或不续跑未完成的任务）时，新建任务再查一遍。")
    ] = False,
    takeover: Annotated[
        bool, typer.Option("--takeover", help="接续另一进程或另一台机器未完成的任务（确认其已中止时使用）。")
    ] = False,
    ca_file: CaFileOption = None,
    no_wait: NoWaitOption = False,
    batch: BatchOption = None,
) -> None:
    """按计划检查：只检查计划中的网站，结果记入计划的检查期；中断后再次执行会接着检查未完成的网站。

    设置了 GOVINSPECT_BROKER_URL 时提交到任务队列，由 govinspect worker 执行，本命令等待并显示进度。"""
    from govinspect.runs.importer import run_document
    from govinspect.runs.plan import prepare_start, start_plan

    when = _parse_date(as_of, "--as-of") if as_of else None
    crawl = CrawlChoices(
        max_pages=max_pages, ignore_robots=ignore_robots, allow_private=allow_private, ca_file=ca_file
    )
    db = store()
    start = _plan_or_fail(
        lambda: prepare_start(db, plan_id, as_of=when, profile=profile, again=again, takeover=takeover)
    )
    if start.resume_run is not None:
        console.print(
            f"续跑检查任务 {start.resume_run}：已完成 {start.done} 家，还有 {len(start.codes)} 家"
            f"（监测时间点 {start.as_of}，指标 {start.profile}）。"
        )
    if start.codes:
        _refuse_private(db, list(start.codes), crawl)
    options = _inspect_options(start.as_of, start.profile, start.plan.period, crawl)
    if settings().broker_url and start.codes:
        from govinspect.tasks import enqueue_inspections

        queue = Queueing(no_wait, batch)
        queued: list[str] = []

        def enqueue(run_id: int, codes: Sequence[str], chosen: InspectOptions) -> None:
            with _queue_errors():
                queued.extend(
                    enqueue_inspections(
                        settings().broker_url,
                        codes,
                        as_of=chosen.as_of,
                        run_id=run_id,
                        batch=queue.size,
                        options=chosen,
                    )
                )

        result = _plan_or_fail(lambda: start_plan(db, settings(), start, options, enqueue=enqueue))
        _queued(result.run_id, len(start.codes), len(queued))
        if queue.no_wait:
            console.print(
                f"检查期：{start.plan.period}；检查计划：{start.plan.id}；检查任务：{result.run_id}"
            )
            return
        waited = _wait_for(db, result.run_id)
        result = replace(result, outcomes=waited.outcomes)
    else:
        result = _with_progress(
            len(start.codes),
            crawl,
            lambda progress: _plan_or_fail(
                lambda: start_plan(db, settings(), start, options, progress=progress)
            ),
        )
    print_outcomes(result.outcomes, result.profile_id, start.as_of, result.run_id)
    for note in result.notes:
        console.print(Text(f"注意：{note}", style="yellow"))
    console.print(f"检查期：{start.plan.period}；检查计划：{start.plan.id}；检查任务：{result.run_id}")
    if json_out is not None:
        from govinspect.runs.contract import write_json

        write_json(json_out, run_document(db, result.run_id))
        console.print(f"结果已写入 {json_out}")


@run_app.command("watch")
def run_watch(
    run: Annotated[int, typer.Argument(help="检查任务编号。")],
    json_out: JsonOption = None,
) -> None:
    """等待提交到任务队列的检查任务完成（显示已完成的网站数），然后输出结果汇总；Ctrl-C 只停止等待。"""
    from govinspect.runs.queued import QueuedRunError, run_progress
    from govinspect.store.results import Run

    db = store()
    try:
        state = run_progress(db, run)
    except QueuedRunError as exc:
        raise fail(str(exc)) from exc
    with db.session() as session:
        found = session.get(Run, run)
        when, period = found.as_of, found.period  # type: ignore[union-attr]
    if state.status == "running":
        console.print(f"检查任务 {run}：已完成 {state.done} / {state.total or '?'} 家，等待 worker …")
    _finish_run(_wait_for(db, run), when, json_out, period)


def _results_or_fail(action: Callable[[], T]) -> T:
    from govinspect.runs.importer import ResultsImportError

    try:
        return action()
    except ResultsImportError as exc:
        shown = exc.errors[:50]
        for line in shown:
            err.print(Text(f"  {line}"))
        if len(exc.errors) > len(shown):
            err.print(Text(f"  ……另有 {len(exc.errors) - len(shown)} 处错误未列出"))
        raise fail(str(exc)) from exc


@results_app.command("import")
def results_import(
    file: Annotated[Path, typer.Argument(help="结果文件（inspect --json 的格式，INDICATORS.md §8）。")],
    period: Annotated[
        str | None,
        typer.Option("--period", help="检查期（缺省取文件中的 period，否则为监测时间点所在季度）。"),
    ] = None,
    again: Annotated[
        bool, typer.Option("--again", help="同一文件已导入过时，仍作为新任务再导入一次。")
    ] = False,
) -> None:
    """导入检查结果：先校验整个文件（有错误则一条也不导入），网站须已在名录中；导入后可用于通报与 show。"""
    from govinspect.runs.importer import import_results

    db = store()
    home = settings().home
    report = _results_or_fail(
        lambda: import_results(db, file, period=period, again=again, profiles_dir=home / "profiles")
    )
    source = {"参数": "", "文件": "（取自文件）", "监测时间点": "（按监测时间点所在季度）"}[
        report.period_from
    ]
    console.print(
        Text(
            f"已导入 {file.name}：网站 {report.sites} 家（不合格 {report.failed} 家），问题 {report.findings} 条；"
            f"检查任务编号 {report.run_id}，检查期 {report.period}{source}，监测时间点 {report.as_of}，"
            f"指标 {report.profile}。"
        )
    )
    for note in report.notes:
        console.print(Text(f"注意：{note}", style="yellow"))


@results_app.command("export")
def results_export(
    run: Annotated[int, typer.Argument(help="检查任务编号。")],
    file: Annotated[Path, typer.Argument(help="输出的 JSON 文件。")],
    with_models: Annotated[
        bool,
        typer.Option("--with-models", help="附上每个网站的网站模型：导入后可重新评分，通报可统计留言办理。"),
    ] = False,
) -> None:
    """把一次检查任务（含续跑、重新评分、导入的任务）的结果按约定格式（INDICATORS.md §8）写成 JSON。"""
    from govinspect.runs.contract import write_json
    from govinspect.runs.importer import run_document

    db = store()
    data = _results_or_fail(lambda: run_document(db, run, models=with_models))
    write_json(file, data)
    console.print(f"任务 {run} 的 {len(data['sites'])} 个网站结果已写入 {file}")


if __name__ == "__main__":  # pragma: no cover
    app()
