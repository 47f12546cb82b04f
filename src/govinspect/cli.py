"""The ``govinspect`` command. Help and messages in Chinese; command names in English."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from govinspect.store import Store, open_store
from govinspect.store.db import StoreError
from govinspect.views import print_outcomes, progress_bar

if TYPE_CHECKING:
    from govinspect.runs.inspect import InspectionResult
    from govinspect.scoring.profile import Profile

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


@app.command()
def inspect(
    as_of: Annotated[str, typer.Option("--as-of", help="监测时间点，格式 YYYY-MM-DD。")],
    sites_file: Annotated[
        Path | None, typer.Option("--sites", help="先导入（或更新）此名录文件中的网站，再检查它们。")
    ] = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="按网站标识码检查（可重复）。")] = None,
    all_sites: Annotated[bool, typer.Option("--all", help="检查名录中所有运行中的网站。")] = False,
    profile: Annotated[str, typer.Option("--profile", help="指标配置。")] = "national-2019",
    json_out: Annotated[Path | None, typer.Option("--json", help="按约定格式输出结果 JSON。")] = None,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private-networks", help="允许访问内网和本机地址（仅限检查本辖区内网网站或测试）。"
        ),
    ] = False,
    max_pages: Annotated[
        int, typer.Option("--max-pages", min=1, max=100_000, help="每个网站最多抓取的页面数。")
    ] = 200,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="不遵守 robots.txt（仅限本辖区网站；运行记录会注明）。")
    ] = False,
) -> None:
    """检查网站：抓取、提取、按指标检查并评分，保存结果并输出汇总（可选输出 JSON）。"""
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions, inspect_sites
    from govinspect.scoring.profile import ProfileError

    when = _parse_date(as_of, "--as-of")
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

    if not allow_private:
        refused = _refused_sites(db, codes)
        if refused:
            for line in refused:
                err.print(f"  {line}", highlight=False)
            raise fail(
                "以上网站地址指向内网或本机，已拒绝检查；如确为本辖区内网网站，请加 --allow-private-networks",
                code=2,
            )
    options = InspectOptions(
        as_of=when,
        profile=profile,
        crawl=CrawlOptions(
            max_pages=max_pages, obey_robots=not ignore_robots, allow_private_networks=allow_private
        ),
    )
    with progress_bar() as bar:
        crawl_task = bar.add_task("抓取网站", total=len(codes) * max_pages)
        check_task = bar.add_task("检查与评分", total=len(codes))
        requests: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage.startswith("crawl:"):
                requests[stage] = done
                bar.update(crawl_task, completed=sum(requests.values()))
            else:
                bar.update(crawl_task, completed=len(codes) * max_pages)
                bar.update(check_task, completed=done, total=total)

        try:
            result = inspect_sites(db, settings(), codes, options, progress=progress)
        except ProfileError as exc:
            raise fail(str(exc)) from exc
    _finish_run(result, when, json_out)


def _finish_run(result: InspectionResult, when: date, json_out: Path | None) -> None:
    from govinspect.runs.contract import document, write_json

    print_outcomes(result.outcomes, result.profile.id, when, result.run_id)
    for note in result.notes:
        console.print(Text(f"注意：{note}", style="yellow"))
    if json_out is not None:
        write_json(json_out, document(when, result.profile.id, result.outcomes, run_id=result.run_id))
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


if __name__ == "__main__":  # pragma: no cover
    app()
