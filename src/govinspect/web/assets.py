"""Install the dashboard's front-end libraries and copy their built files where the app serves them.

``package.json`` at the repository root pins htmx.org and echarts, ``package-lock.json`` pins everything they
pull in; ``npm ci`` installs exactly that into ``node_modules/``, and the files the pages load are copied into
``src/govinspect/web/static/vendor/`` (git-ignored: nothing from outside the project is committed into it),
with their licences. Run by ``make assets`` (and so by ``make demo`` and ``make test``). Standard library only:
it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
FILES = {  # served name -> path under node_modules
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "LICENSE-htmx.txt": "htmx.org/LICENSE",
    "LICENSE-echarts.txt": "echarts/LICENSE",
}
STAMP = ".built"


def build(root: Path = ROOT, vendor: Path = VENDOR, *, install: bool = True) -> list[Path]:
    if install:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("找不到 npm：请安装 Node.js（含 npm）后再运行 make assets")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=root,
            check=True,
        )
    modules = root / "node_modules"
    missing = [rel for rel in FILES.values() if not (modules / rel).is_file()]
    if missing:
        raise SystemExit(f"npm 安装后仍缺少文件：{', '.join(missing)}")
    vendor.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rel in FILES.items():
        target = vendor / name
        shutil.copyfile(modules / rel, target)
        written.append(target)
    (vendor / STAMP).write_text(
        "built from package-lock.json by src/govinspect/web/assets.py\n", encoding="utf-8"
    )
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-install", action="store_true", help="copy from an existing node_modules only")
    args = parser.parse_args(argv)
    for path in build(install=not args.no_install):
        print(f"  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
