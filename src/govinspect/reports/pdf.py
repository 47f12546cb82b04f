"""通报.pdf from 通报.docx through LibreOffice headless (``soffice --headless --convert-to pdf``).

LibreOffice is optional (Debian: libreoffice-writer-nogui): without it the report is written without the PDF and
the command says why. Each conversion runs with a profile of its own (two reports at once do not collide) and
with a fontconfig file that maps the circular's fonts -- 仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312, which a
Linux machine rarely has -- to installed CJK faces (Noto Serif/Sans CJK SC from fonts-noto-cjk; a FangSong or
KaiTi face first where one is installed), instead of whatever fontconfig would pick for an unknown name.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from govinspect.reports.figures import ReportError

SOFFICE_NAMES = ("soffice", "libreoffice")
INSTALL_HINT = "Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui"
TIMEOUT_S = 180

SERIF, SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"
# The circular's font names (as the template and Word/WPS documents spell them) -> installed faces, best first.
FONT_ALIASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("仿宋_GB2312", "仿宋", "FangSong", "FangSong_GB2312"): ("FangSong", "Fangsong Ti", SERIF),
    ("楷体_GB2312", "楷体", "KaiTi", "KaiTi_GB2312"): ("KaiTi", "AR PL UKai CN", "AR PL KaitiM GB", SERIF),
    ("黑体", "SimHei"): ("SimHei", SANS),
    ("宋体", "SimSun"): ("SimSun", SERIF),
}
TITLE_FONTS = ("方正小标宋简体", "方正小标宋_GBK", "小标宋")  # a heavy Song: the serif face, bold


def find_soffice() -> str | None:
    for name in SOFFICE_NAMES:
        if found := shutil.which(name):
            return found
    return None


def fontconfig_file(directory: Path) -> Path:
    """A fontconfig file: the system's configuration plus the circular's font names as aliases."""
    rules = []
    for names, prefer in FONT_ALIASES.items():
        families = "".join(f"<family>{p}</family>" for p in prefer)
        for name in names:
            rules.append(
                f'<alias binding="strong"><family>{name}</family><prefer>{families}</prefer></alias>'
            )
    for name in TITLE_FONTS:
        rules.append(
            f'<match target="pattern"><test name="family"><string>{name}</string></test>'
            f'<edit name="family" mode="prepend" binding="strong"><string>{SERIF}</string></edit>'
            '<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit></match>'
        )
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        + "\n".join(rules)
        + "\n</fontconfig>\n"
    )
    path = directory / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path


def convert_to_pdf(docx: Path, out_dir: Path | None = None, *, soffice: str | None = None) -> Path:
    """Convert one DOCX; the PDF is written beside it (or into ``out_dir``) under the same stem."""
    soffice = soffice or find_soffice()
    if soffice is None:
        raise ReportError(f"未安装 LibreOffice（soffice），无法生成 PDF；{INSTALL_HINT}")
    out_dir = out_dir or docx.parent
    target = out_dir / f"{docx.stem}.pdf"
    with tempfile.TemporaryDirectory(prefix="govinspect-soffice-") as scratch:
        work = Path(scratch)
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(fontconfig_file(work))
        env["HOME"] = str(work)  # LibreOffice writes caches under $HOME even with its own profile
        env.setdefault("LANG", "C.UTF-8")
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work / "out"),
            str(docx),
        ]
        try:
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"LibreOffice 转换 PDF 超过 {TIMEOUT_S} 秒未完成：{docx}") from exc
        made = work / "out" / f"{docx.stem}.pdf"
        if done.returncode != 0 or not made.is_file():
            detail = (done.stderr or done.stdout or "").strip()[-500:]
            raise ReportError(
                f"LibreOffice 未能把 {docx.name} 转换为 PDF（退出码 {done.returncode}）：{detail}"
            )
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(str(made), target)
    return target
