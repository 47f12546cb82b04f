"""`govinspect farm`: build and serve the synthetic site farm."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govinspect.console import console
from govinspect.farm.model import Farm

app = typer.Typer(
    help="合成政府网站集群：生成带有已知缺陷和标准答案的模拟政府网站，并在本机回环地址上提供访问。"
)


def build_with_progress(
    out: Path, *, sites: int, seed: int, as_of: date, port: int, defect_rate: float = 1.0, label: str
) -> Farm:
    """Build a farm under a Rich progress bar (``farm build`` and the demo)."""
    from govinspect.farm import build_farm

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("build", total=sites)
        return build_farm(
            out,
            sites=sites,
            seed=seed,
            as_of=as_of,
            port=port,
            defect_rate=defect_rate,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


@app.command("build")
def build_cmd(
    out: Path = typer.Option(..., "--out", help="输出目录"),
    sites: int = typer.Option(200, "--sites", help="网站数量"),
    seed: int = typer.Option(1, "--seed", help="随机种子（相同种子生成完全相同的网站）"),
    as_of: str = typer.Option("2020-03-31", "--as-of", help="监测时间点，格式 YYYY-MM-DD"),
    port: int = typer.Option(18080, "--port", help="各网站共用的端口"),
    defect_rate: float = typer.Option(1.0, "--defect-rate", help="缺陷注入比例的倍数（0 表示不注入缺陷）"),
) -> None:
    """生成网站集群、标准答案（truth.json）和登记表（registry.csv、accounts.csv）。"""
    try:
        when = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter("监测时间点格式应为 YYYY-MM-DD", param_hint="--as-of") from None
    farm = build_with_progress(
        out, sites=sites, seed=seed, as_of=when, port=port, defect_rate=defect_rate, label="正在生成网站"
    )
    truth = farm.truth()
    pages = sum(
        1
        for p in (farm.root / "www").rglob("*")
        if p.is_file() and p.suffix not in (".css", ".js", ".png", ".txt")
    )
    checks = Counter(d["check"] for s in truth["sites"] for d in s["defects"])
    failing = sum(1 for s in truth["sites"] if s["expected_verdict"] == "不合格")
    console.print(
        f"省份：{farm.province['name']}　网站：{len(farm.sites)} 个　页面：{pages} 个　预期不合格：{failing} 个"
    )
    table = Table(title="注入的缺陷（按检查项）")
    table.add_column("检查项")
    table.add_column("数量", justify="right")
    for check, count in sorted(checks.items()):
        table.add_row(check, str(count))
    console.print(table)
    console.print(f"输出目录：{farm.root}")
    https = sum(1 for s in farm.sites if s.tls)
    if https:
        console.print(f"HTTPS网站：{https} 个，根证书：{farm.ca_file}（检查时加 --ca-file）")


@app.command("serve")
def serve_cmd(directory: Path = typer.Argument(..., help="由 build 生成的目录")) -> None:
    """在本机回环地址上提供网站集群，按 Ctrl-C 停止。"""
    from govinspect.farm import load_farm
    from govinspect.farm.server import run

    farm = load_farm(directory)
    table = Table(title=f"网站集群（{farm.province['name']}，监测时间点 {farm.as_of}）")
    for col in ("网站标识码", "网站名称", "类别", "首页网址", "说明"):
        table.add_column(col)
    notes = {
        "down": "不可访问",
        "firewall": "防火墙（非浏览器UA返回403）",
        "slow": "响应缓慢",
        "flaky": "间歇性断开",
    }
    certificates = {
        "ok": "HTTPS",
        "expired": "HTTPS（证书已过期）",
        "self_signed": "HTTPS（自签名证书）",
        "wrong_host": "HTTPS（证书与地址不符）",
        "expiring": "HTTPS（证书即将到期）",
    }
    for s in farm.sites:
        note = "；".join(n for n in (notes.get(s.behaviour or ""), certificates.get(s.tls or "")) if n)
        table.add_row(s.site_code, s.name, s.category.value, s.homepage_url, note)
    console.print(table)
    console.print(f"外部站点：{farm.external_base}　按 Ctrl-C 停止")
    if any(s.tls for s in farm.sites):
        console.print(f"HTTPS网站的根证书：{farm.ca_file}（检查时加 --ca-file {farm.ca_file}）")
    try:
        run(directory)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        console.print(f"[red]启动失败：{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command("hostile")
def hostile_cmd(
    out: Path = typer.Option(..., "--out", help="输出目录（写入 registry.csv 和 ca.pem）"),
    port: int = typer.Option(0, "--port", help="各网站共用的端口（0 表示每个网站随机端口）"),
    seed: int = typer.Option(1, "--seed", help="证书种子（与 farm build 相同时共用同一根证书）"),
) -> None:
    """提供恶意/异常网站集群（慢速、循环跳转、超大响应、gzip炸弹、证书错误等），每种情况一个网站，按 Ctrl-C 停止。"""
    from govinspect.farm.hostile import HostileFarm, run, site_name

    def announce(farm: HostileFarm) -> None:
        table = Table(title="异常网站集群")
        for col in ("网站标识码", "网站名称", "首页网址"):
            table.add_column(col)
        for s in farm.sites:
            table.add_row(s.code, site_name(s.case), s.url)
        console.print(table)
        console.print(f"登记表：{farm.registry_csv}　根证书：{farm.ca_file}　汇总页：{farm.index_url}")

    try:
        run(out, port=port, seed=seed, announce=announce)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        console.print(f"[red]启动失败：{exc}[/red]")
        raise typer.Exit(1) from exc
