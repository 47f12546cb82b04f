"""Page metadata: the tags 国办发〔2017〕47号 asks of homepages, column pages and article pages."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding
from govinspect.extract.model import SiteModel
from govinspect.scoring.profile import Profile


def check_meta(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """One finding per site: which tags are missing, with the pages that lack them."""
    if not model.homepage.answered:
        return []
    required = profile.section("metadata").get("required", {})
    missing: dict[str, list[str]] = {}
    for page in model.metas:
        for tag in required.get(page.kind, []):
            if tag not in page.present:
                missing.setdefault(tag, []).append(page.url)
    if not missing:
        return []
    pages = sorted({url for urls in missing.values() for url in urls})
    tags = sorted(missing)
    return [
        Finding(
            "meta.missing",
            pages[0],
            f"{len(pages)} 个页面缺少元数据：{'、'.join(tags)}",
            {"missing": tags, "pages": pages[:20], "page_count": len(pages)},
        )
    ]
