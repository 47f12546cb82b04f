"""The synthetic site farm: realistic government websites with injected defects and their ground truth.

``build_farm(out, sites=N, seed=S, as_of=…, port=P)`` writes, deterministically (same arguments → byte-identical
files, certificates included)::

    out/farm.json            manifest (load_farm reads it): seed, as_of, port, province, sites, behaviours
    out/truth.json           ground truth (schema below)
    out/registry.csv         UTF-8 with BOM: 网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态,ICP备案号,公安备案号
    out/accounts.csv         UTF-8 with BOM: 平台,账号名称,账号ID,主办单位,所属地区,运行状态,是否备案
    out/site_accounts.json   the accounts each site names (homepage footer, 政务新媒体矩阵 page; farm/site_accounts.py)
    out/newmedia/…           the accounts' feeds, pages, post list and truth (farm/newmedia.py)
    out/www/<site_code>/…    each site's files as served (bytes in the site's encoding; ``path@query`` for URLs
                             with a query string, e.g. ``module/list.jsp@id=12&page=2``)
    out/search/<site_code>.json   the site's search index [[title, path, displayed date], …]
    out/ca.pem               the farm CA (inspections trust it only with ``--ca-file``; ``Farm.ca_file``)
    out/tls/<site_code>.crt|.key  an https site's certificate and key (farm/tls.py; no .crt for ``expiring``:
                             the server makes that certificate when it starts, ending 10 days later)

Site i is served at ``http://127.0.{1 + i//250}.{1 + i%250}:PORT``, or ``https://`` for two in five of the
sites without a behaviour (``FarmSite.tls``: ok, expired, self_signed, wrong_host, expiring);
``127.0.0.2:PORT`` is the "external" origin standing in for the internet (``http://127.0.0.2:PORT/www.gov.cn/``,
``…/beian.miit.gov.cn/``, ``…/bszs.conac.cn/…``, ``…/zfwzgl.www.gov.cn/exposure/jiucuo.html``; gambling pages
under ``/bc/``; the farm's broken external targets answer 404). ``serving(out)`` runs the server (see server.py).

truth.json::

    {"schema": 1, "profile": "national-2019", "as_of": "2020-03-31", "seed": 7, "province": {…},
     "sites": [{
        "site_code", "name", "url" (registry URL), "homepage" (absolute homepage URL), "category", "region",
        "style": "trs|wcm|jsp", "encoding": {"bytes", "header", "meta", "variant"},
        "behaviour": null|"down"|"firewall"|"slow"|"flaky", "tls": null|"ok"|"expired"|…,
        "search": {"path", "param", "state"},
        "expected_verdict": "合格|不合格",            # 不合格 iff expected_vetoes is not empty
        "expected_vetoes": ["栏目不更新", …],         # INDICATORS.md §2 names, in §2 order
        "defects": [{"check": "<INDICATORS.md check id>", "severity": "veto|deduction|notice",
                     "url": "<page on which it shows>", "variant": "<optional>", "evidence": {…}}],
        "notices": [{"kind": "blocked", "status": 403, …} | {"kind": "slow", …}]}]}

Evidence by check (dates ISO, URLs absolute): links.broken {target, kind: internal|external};
footer.* {expected, found} (variant missing|malformed|mismatch; ads: {text, target}); column_stale {column,
latest, limit_days, stale_columns}; column_blank {column, blank_columns}; homepage_stale {latest_on_homepage};
reply_overdue {submitted, days_unanswered}; reply_slow {submitted, replied, calendar_days} or {missing:
submit_time|reply_time}; survey_feedback_missing {end, days_since_end}; fake_date {displayed, pubdate_meta,
url_date}; typo / serious_error {wrong, right}; sensitive {word}; illegal {text}; privacy_leak {kind, value};
dark_link {target, text, hiding}; malicious_script {src, kind}; interpretation.missing {document, doc_no};
interpretation.unlinked {document, interpretation, missing_link}; search.broken {query, article};
guide_incomplete {missing: [elements]}; meta.missing {missing}; mixed_content {resource} (a notice on an http
site, a deduction on an https one); transport.tls {note} (variant expired|self_signed|wrong_host: deduction,
expiring: notice; on the homepage, once per site). transport.ipv6 has no case: every farm site is an IPv4
literal, and a host name's AAAA records cannot be steered on loopback without editing /etc/hosts.

Thresholds are applied literally (INDICATORS.md §2): stale dynamic (> 14 days) + notice/policy (> 183 days)
columns ≥ 5 → every one of them veto, else deduction; blank columns ≥ 5 → veto; ≥ 5 guides each missing ≥ 4
elements → veto. Injected counts sit far from each threshold (1–2 vs 6). Normal message replies take ≤ 2
working days, slow ones ≥ 40 calendar days. The expected verdict assumes the deductions of a site stay above
60 points (they are few per site). Behaviour sites carry no content defects: ``down`` → down_at_check (veto),
``flaky`` → unreachable (veto, needs probe history), ``firewall`` → a "blocked" notice, ``slow`` → nothing.
"""

from govinspect.farm.build import build_farm
from govinspect.farm.model import Farm, FarmSite, load_farm
from govinspect.farm.server import serving

__all__ = ["Farm", "FarmSite", "build_farm", "load_farm", "serving"]
