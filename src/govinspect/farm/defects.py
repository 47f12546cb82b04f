"""Injecting a plan's defect kinds into a clean site, and recording the ground truth of each one.

Truth entries are first written with object references (``where``: the homepage, a column, an item, or a
search query; evidence values may be items or dates) and resolved to absolute URLs by build.py once the
site's URL scheme is known. Threshold-based severities (stale/blank columns, incomplete guides) are settled
here from the finished data, with INDICATORS.md §2's thresholds applied literally.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from govinspect.farm import text as T
from govinspect.farm.content import (
    DYNAMIC_LIMIT_DAYS,
    HOME_BLOCKS,
    NOTICE_LIMIT_DAYS,
    Item,
    Message,
    Site,
    _normal_submit_day,
)
from govinspect.farm.render import META_NAMES

SEVERITY = {
    "freshness.homepage_stale": "veto",
    "links.broken": "deduction",
    "links.blocked": "notice",
    "footer.site_code": "deduction",
    "footer.icp": "deduction",
    "footer.psb": "deduction",
    "footer.conac": "deduction",
    "footer.sponsor": "deduction",
    "footer.jiucuo": "deduction",
    "footer.ads": "deduction",
    "interaction.no_channel": "veto",
    "interaction.reply_overdue": "veto",
    "interaction.reply_slow": "deduction",
    "interaction.survey_feedback_missing": "deduction",
    "content.fake_date": "veto",
    "content.typo": "deduction",
    "content.serious_error": "veto",
    "content.illegal": "veto",
    "content.sensitive": "deduction",
    "content.privacy_leak": "deduction",
    "content.dark_link": "veto",
    "security.malicious_script": "veto",
    "interpretation.missing": "deduction",
    "interpretation.unlinked": "deduction",
    "search.missing": "deduction",
    "search.broken": "deduction",
    "service.missing": "veto",
    "service.guide_incomplete": "deduction",
    "freshness.column_stale": "deduction",
    "freshness.column_blank": "deduction",
    "meta.missing": "deduction",
    "transport.mixed_content": "notice",
    "transport.tls": "deduction",
    "availability.down_at_check": "veto",
    "availability.unreachable": "veto",
}

TLS_NOTES = {
    "expired": "certificate ended 2021-01-01",
    "self_signed": "certificate issued by itself",
    "wrong_host": "farm CA certificate of another farm address",
    "expiring": "valid certificate made when the server starts, ending 10 days later",
}

VETO_INDICATOR = {
    "content.serious_error": "安全、泄密事故等严重问题",
    "content.illegal": "安全、泄密事故等严重问题",
    "content.dark_link": "安全、泄密事故等严重问题",
    "security.malicious_script": "安全、泄密事故等严重问题",
    "content.fake_date": "安全、泄密事故等严重问题",
    "availability.unreachable": "站点无法访问",
    "availability.down_at_check": "站点无法访问",
    "freshness.homepage_stale": "首页不更新",
    "freshness.column_stale": "栏目不更新",
    "freshness.column_blank": "栏目不更新",
    "interaction.no_channel": "互动回应差",
    "interaction.reply_overdue": "互动回应差",
    "service.missing": "服务不实用",
    "service.guide_incomplete": "服务不实用",
}
VETO_ORDER = [
    "安全、泄密事故等严重问题",
    "站点无法访问",
    "首页不更新",
    "栏目不更新",
    "互动回应差",
    "服务不实用",
]


def record(
    site: Site, check: str, where, evidence: dict, *, variant: str | None = None, severity: str | None = None
):
    entry = {"check": check, "severity": severity or SEVERITY[check], "where": where, "evidence": evidence}
    if variant:
        entry["variant"] = variant
    site.truth.append(entry)


def _articles(site: Site, slugs=("xwzx/zwyw", "xwzx/gzdt", "xwzx/jcdt", "zwgk/tzgg")) -> list[Item]:
    return [it for slug in slugs if (c := site.column(slug)) for it in c.items if it.body]


def _blocked_links(site: Site, external: str, used: set[int]) -> None:
    """One or two links to pages the external origin refuses to everyone (``/403/…``, ``/429/…``). A random of
    the site's own: drawing from the shared one would change every defect drawn after it."""
    rng = random.Random(f"{site.plan.site_code}:blocked")
    for n in range(rng.randint(1, 2)):
        status = rng.choice((403, 429))
        target = f"{external}/{status}/www.{rng.randint(1000, 9999)}.gov.cn/zwgk/{rng.randint(1, 999)}.html"
        pool = [it for it in _articles(site) if it.aid not in used and it.shown_day is None]
        if n == 0 or not pool:
            site.home_links.append(("相关单位信息公开", target))
            where: object = "home"
        else:
            art = rng.choice(pool)
            used.add(art.aid)
            site.article_links.setdefault(art.aid, []).append(("相关单位办事指南", target))
            where = art
        record(site, "links.blocked", where, {"target": target, "status": status})


def inject(site: Site, rng: random.Random, as_of: date, external: str, ids, **_: object) -> None:
    plan = site.plan
    kinds = list(plan.defects)
    used: set[int] = set()

    def pick_article(slugs=("xwzx/zwyw", "xwzx/gzdt", "xwzx/jcdt", "zwgk/tzgg")) -> Item:
        pool = [it for it in _articles(site, slugs) if it.aid not in used and it.shown_day is None]
        it = rng.choice(pool)
        used.add(it.aid)
        return it

    board = site.column("hdjl/zxzx")

    def new_message(
        day: date, title: str, question: str, reply: date | None, status: str, answer: str | None
    ) -> Item:
        it = Item(
            ids(),
            title,
            day,
            f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            plan.sponsor,
        )
        it.message = Message(
            submitter=T.masked_name(rng),
            submit=f"{day} {it.time}",
            reply=f"{reply} 10:{rng.randint(10, 59)}:{rng.randint(10, 59)}" if reply else None,
            unit=plan.sponsor,
            status=status,
            question=question,
            answer=answer,
        )
        it.column = board
        board.items.append(it)
        return it

    for kind in kinds:
        check, _, variant = kind.partition(":")
        if check == "freshness.homepage_stale":
            pass  # settled in _settle from the data
        elif check in ("freshness.column_stale", "freshness.column_blank", "service.guide_incomplete"):
            if check == "service.guide_incomplete":
                guides = site.column("bsfw/bszn").items
                count = rng.randint(1, 2) if variant == "light" else 6
                for g in rng.sample(guides, count):
                    k = rng.randint(1, 2) if variant == "light" else rng.randint(4, 5)
                    missing = rng.sample(T.GUIDE_ELEMENTS[1:], k)
                    g.guide = {e: v for e, v in g.guide.items() if e not in missing}
                    record(
                        site,
                        check,
                        g,
                        {"missing": sorted(missing, key=T.GUIDE_ELEMENTS.index)},
                        variant=variant,
                    )
        elif check == "links.broken":
            if variant == "internal":
                for n in range(rng.randint(1, 2)):
                    if n == 0 and rng.random() < 0.5:
                        target = site_style_missing_column(site, rng)
                        site.home_links.append((f"{rng.choice(T.TOPICS).strip('“”')}专题", target))
                        record(site, check, "home", {"target": target, "kind": "internal"}, variant=variant)
                    else:
                        art = pick_article()
                        ghost = Item(
                            ids(),
                            "附件",
                            art.day - timedelta(days=rng.randint(30, 300)),
                            "09:00:00",
                            plan.sponsor,
                        )
                        ghost.column = art.column
                        target = ("path_of", ghost)
                        site.article_links.setdefault(art.aid, []).append(("附件：相关材料", target))
                        record(site, check, art, {"target": target, "kind": "internal"}, variant=variant)
            else:
                target = (
                    f"{external}/www.{rng.randint(1000, 9999)}.gov.cn/old/index_{rng.randint(1, 99)}.html"
                )
                site.external_404.append(target.removeprefix(external))
                if rng.random() < 0.5:
                    site.home_links.append((f"{plan.region}原信息公开平台", target))
                    record(site, check, "home", {"target": target, "kind": "external"}, variant=variant)
                else:
                    art = pick_article()
                    site.article_links.setdefault(art.aid, []).append(("上级文件原文", target))
                    record(site, check, art, {"target": target, "kind": "external"}, variant=variant)
        elif check == "links.blocked":
            _blocked_links(site, external, used)
        elif check.startswith("footer."):
            field = check.removeprefix("footer.")
            _footer(site, rng, field, external)
        elif check == "interaction.no_channel":
            record(
                site,
                check,
                "home",
                {"present": ["网上信访", "纪检监察举报"], "note": "信访、纪检举报渠道不计入"},
            )
        elif check == "interaction.reply_overdue":
            day = _normal_submit_day(as_of - timedelta(days=rng.randint(110, 300)))
            issue = rng.choice(T.MESSAGE_ISSUES)
            it = new_message(
                day, f"关于{issue}的咨询", f"您好！请问{issue}应如何办理？", None, "办理中", None
            )
            record(site, check, it, {"submitted": day, "days_unanswered": (as_of - day).days})
        elif check == "interaction.reply_slow":
            msgs = [it for it in board.items if it.message.reply and it.day <= as_of - timedelta(days=80)]
            if variant == "no_time":
                it = rng.choice([m for m in board.items if m.message.reply])
                which = rng.choice(("submit_time", "reply_time"))
                if which == "submit_time":
                    it.message.show_submit = False
                else:
                    it.message.show_reply = False
                record(site, check, it, {"missing": which}, variant=variant)
            else:
                for it in rng.sample(msgs, min(len(msgs), rng.randint(1, 2))):
                    reply = it.day + timedelta(days=rng.randint(40, 70))
                    it.message.reply = f"{reply} 16:{rng.randint(10, 59)}:{rng.randint(10, 59)}"
                    record(
                        site,
                        check,
                        it,
                        {"submitted": it.day, "replied": reply, "calendar_days": (reply - it.day).days},
                    )
        elif check == "interaction.survey_feedback_missing":
            col = site.column("hdjl/zjdc")
            closed = [
                s for s in col.items if s.survey and s.partner and s.survey[1] <= as_of - timedelta(days=20)
            ]
            survey = rng.choice(closed)
            col.items.remove(survey.partner)
            survey.partner = None
            end = survey.survey[1]
            record(site, check, survey, {"end": end, "days_since_end": (as_of - end).days})
        elif check == "content.fake_date":
            col = site.column("xwzx/gzdt")
            it = rng.choice([x for x in col.items[3:12] if x.aid not in used])
            used.add(it.aid)
            it.day = as_of - timedelta(days=rng.randint(40, 120))
            it.shown_day = as_of - timedelta(days=rng.randint(1, 5))
            record(
                site, check, it, {"displayed": it.shown_day, "pubdate_meta": it.day, "url_date": "from_style"}
            )
        elif check == "content.typo":
            it = pick_article()
            wrong, right = _mutate(it, rng, T.TYPOS, "各单位要认真{w}落实会议精神，确保各项工作取得实效。")
            record(site, check, it, {"wrong": wrong, "right": right})
        elif check == "content.serious_error":
            it = pick_article()
            if variant == "outdated_name":
                old, new = rng.choice(T.OUTDATED_NAMES)
                it.body.append(f"根据{old}有关工作要求，{plan.org_short}对相关工作进行了安排。")
                record(site, check, it, {"wrong": old, "right": new}, variant=variant)
            else:
                wrong, right = _mutate(it, rng, T.SERIOUS_ERRORS, "要深入学习贯彻{w}，推动各项工作落地见效。")
                record(site, check, it, {"wrong": wrong, "right": right})
        elif check == "content.illegal":
            day = _normal_submit_day(as_of - timedelta(days=rng.randint(5, 40)))
            text = T.ILLEGAL_TEXT.format(qq=rng.randint(10000000, 999999999))
            it = new_message(
                day, "出售物品", text, day + timedelta(days=1), "已办结", "该留言与政务咨询无关，不予受理。"
            )
            record(site, check, it, {"text": text})
        elif check == "content.sensitive":
            it = rng.choice([m for m in board.items if m.aid not in used])
            used.add(it.aid)
            word = rng.choice(T.SENSITIVE_WORDS)
            it.message.question += f"这些{word}到底管不管？"
            record(site, check, it, {"word": word})
        elif check == "content.privacy_leak":
            kind_ = rng.choice(("id_number", "mobile"))
            if kind_ == "id_number":
                born = date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28))
                value = T.id_number(
                    rng,
                    plan.division_code
                    if not plan.division_code.endswith("0000")
                    else plan.psb.split()[1][:6],
                    born,
                )
                sentence = f"本人身份证号{value}，"
            else:
                value = T.mobile_number(rng)
                sentence = f"联系手机{value}，"
            if board is not None:
                it = rng.choice([m for m in board.items if m.aid not in used])
                used.add(it.aid)
                it.message.question = it.message.question.replace("您好！", "您好！" + sentence, 1)
            else:
                it = pick_article(("zwgk/tzgg",))
                it.body.append(
                    f"公示对象：{T.person_name(rng)}，{sentence}公示期内如有异议请向{plan.sponsor}反映。"
                )
            record(site, check, it, {"kind": kind_, "value": value})
        elif check == "content.dark_link":
            text = rng.choice(T.GAMBLING_TEXTS)
            target = f"{external}/bc/{rng.randint(100, 999)}.html"
            hide = rng.choice(("display:none", "position:absolute;left:-9999px;top:-9999px"))
            site.home_extra += f'<div style="{hide}"><a href="{target}">{text}</a></div>\n'
            record(site, check, "home", {"target": target, "text": text, "hiding": hide})
        elif check == "security.malicious_script":
            src = f"//{external.removeprefix('http://')}/x/{rng.randint(1000, 9999)}.js"
            # https sites: the script only, since the external origin is http only (an https page's frame
            # would name it as http:// mixed content or as https:// that does not answer)
            if rng.random() < 0.5 and plan.tls is None:
                frame = src.replace(".js", ".html")
                site.home_extra += f'<iframe src="{frame}" width="0" height="0" frameborder="0" style="display:none"></iframe>\n'
                record(site, check, "home", {"src": frame, "kind": "hidden_iframe"})
            else:
                encoded = "".join(f"%{b:02X}" for b in f"<script src='{src}'></script>".encode())
                site.home_extra += f'<script type="text/javascript">eval(unescape("document.write(unescape(\'{encoded}\'))"));</script>\n'
                record(site, check, "home", {"src": src, "kind": "obfuscated_script"})
        elif check == "interpretation.missing":
            docs = [d for d in site.column("zwgk/zcwj").items if d.partner is not None and d.aid not in used]
            interp = site.column("zwgk/zcjd")
            for d in rng.sample(docs, rng.randint(1, 2)):
                used.add(d.aid)
                interp.items.remove(d.partner)
                d.partner = None
                record(site, check, d, {"document": d.title, "doc_no": d.doc_no})
        elif check == "interpretation.unlinked":
            docs = [d for d in site.column("zwgk/zcwj").items if d.partner is not None and d.aid not in used]
            for d in rng.sample(docs, min(len(docs), rng.randint(1, 2))):
                used.add(d.aid)
                if rng.random() < 0.5:
                    d.link_partner = False
                    where, direction = d, "document->interpretation"
                else:
                    d.partner.link_partner = False
                    where, direction = d.partner, "interpretation->document"
                record(
                    site,
                    check,
                    where,
                    {"document": d, "interpretation": d.partner, "missing_link": direction},
                )
        elif check == "search.missing":
            site.search = "missing"
            record(site, check, "home", {})
        elif check == "search.broken":
            site.search = "broken"
            newest = site.column("xwzx/zwyw").sorted_items()[0]
            record(site, check, ("search", newest.title), {"query": newest.title, "article": newest})
        elif check == "service.missing":
            # no service column (content.py) and no link to a service platform either (no randomness used)
            site.home_links = [(t, u) for t, u in site.home_links if "政务服务" not in t]
            record(site, check, "home", {"note": "无办事服务栏目或入口"})
        elif check == "meta.missing":
            site.has_meta = False
            record(site, check, "home", {"missing": list(META_NAMES)})
        elif check == "transport.mixed_content":
            res = f"{external}/static/banner_{rng.randint(1, 99)}.jpg"
            site.home_extra += f'<div class="banner"><img src="{res}" alt="宣传图"></div>\n'
            if plan.tls is None:
                note, severity = "站点以http提供；改为https后此资源为混合内容", None
            else:  # an https page loading an http image: mixed content now
                note, severity = "HTTPS页面加载HTTP资源", "deduction"
            record(site, check, "home", {"resource": res, "note": note}, severity=severity)
        elif check == "transport.tls":  # the certificate is farm/tls.py's; once per site, on the homepage
            severity = "notice" if variant == "expiring" else None
            record(site, check, "home", {"note": TLS_NOTES[variant]}, variant=variant, severity=severity)
        else:
            raise ValueError(f"unknown defect kind {kind}")
    _settle(site, as_of)


def site_style_missing_column(site: Site, rng: random.Random) -> tuple[str, int]:
    return ("missing_column", rng.randint(1, 80))


def _mutate(it: Item, rng: random.Random, pairs, fallback: str) -> tuple[str, str]:
    options = [(right, wrong) for right, wrong in pairs if any(right in p for p in it.body)]
    if options:
        right, wrong = rng.choice(options)
        for i, p in enumerate(it.body):
            if right in p:
                it.body[i] = p.replace(right, wrong, 1)
                return wrong, right
    right, wrong = rng.choice(pairs)
    it.body.append(fallback.format(w=wrong))
    return wrong, right


def _footer(site: Site, rng: random.Random, field: str, external: str) -> None:
    plan = site.plan
    check = f"footer.{field}"
    expected = {"site_code": plan.site_code, "icp": plan.icp, "psb": plan.psb, "sponsor": plan.sponsor}.get(
        field
    )
    if field in ("conac", "jiucuo"):
        site.footer[field] = None
        record(site, check, "home", {"expected": "present", "found": None}, variant="missing")
        return
    if field == "ads":
        text = rng.choice(T.AD_TEXTS)
        target = f"{external}/ad/{rng.randint(100, 999)}.html"
        site.home_extra += f'<div class="float-ad" style="position:fixed;right:0;bottom:0"><a href="{target}">{text}</a></div>\n'
        record(site, check, "home", {"text": text, "target": target})
        return
    variant = rng.choice(
        ("missing", "malformed", "mismatch") if field != "sponsor" else ("missing", "mismatch")
    )
    abbr = plan.icp[0]
    if variant == "missing":
        found = None
    elif field == "site_code":
        found = (
            plan.site_code[:-1]
            if variant == "malformed"
            else f"{plan.site_code[:6]}{(int(plan.site_code[6:]) + 50) % 10000:04d}"
        )
    elif field == "icp":
        found = (
            f"{abbr}ICP备{rng.randint(1000, 9999)}号"
            if variant == "malformed"
            else f"{abbr}ICP备{rng.randint(11000000, 19999999)}号"
        )
    elif field == "psb":
        digits = plan.psb.split()[1][:14]
        found = (
            f"{abbr}公网安备 {digits[:13]}号"
            if variant == "malformed"
            else f"{abbr}公网安备 {digits[:6]}{rng.randint(0, 99999999):08d}号"
        )
    else:
        found = f"{plan.name[:2]}{rng.choice(('智慧', '数字', '云端'))}网络科技有限公司"
    site.footer[field] = found
    record(site, check, "home", {"expected": expected, "found": found}, variant=variant)


def _settle(site: Site, as_of: date) -> None:
    """Truth that follows from the finished data: staleness, blank columns, thresholds, homepage freshness."""
    stale = []
    for col in site.columns:
        if col.role not in ("dynamic", "notice", "policy") or col.blank:
            continue
        limit = DYNAMIC_LIMIT_DAYS if col.role == "dynamic" else NOTICE_LIMIT_DAYS
        latest = max(it.display_day for it in col.items)
        if (as_of - latest).days > limit:
            stale.append((col, latest, limit))
    sev = "veto" if len(stale) >= 5 else "deduction"
    for col, latest, limit in stale:
        record(
            site,
            "freshness.column_stale",
            col,
            {"column": col.name, "latest": latest, "limit_days": limit, "stale_columns": len(stale)},
            severity=sev,
        )
    blank = [c for c in site.columns if c.blank]
    sev = "veto" if len(blank) >= 5 else "deduction"
    for col in blank:
        record(
            site,
            "freshness.column_blank",
            col,
            {"column": col.name, "blank_columns": len(blank)},
            severity=sev,
        )
    home_latest = max(
        (it.display_day for slug in HOME_BLOCKS if (c := site.column(slug)) for it in c.items), default=None
    )
    if home_latest is None or (as_of - home_latest).days > DYNAMIC_LIMIT_DAYS:
        record(
            site, "freshness.homepage_stale", "home", {"latest_on_homepage": home_latest, "limit_days": 14}
        )
    guides = [e for e in site.truth if e["check"] == "service.guide_incomplete"]
    heavy = sum(1 for e in guides if len(e["evidence"]["missing"]) >= 4)
    for e in guides:
        e["severity"] = "veto" if heavy >= 5 else "deduction"
