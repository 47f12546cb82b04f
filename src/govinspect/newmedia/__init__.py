"""Government new media (政务新媒体): accounts, post sources behind one adapter interface, checks and results.

accounts.py  the registry's accounts file plus the 菜单 and 采集地址 columns (menu, where posts are read)
feed.py      RSS, Atom and JSON Feed parsing (pure)
imports.py   post lists exported from platform back-ends or monitoring vendors (CSV, XLSX, JSON)
sources.py   the adapter interface and the feed, page and auto adapters; register_adapter for more
http.py      guarded, conditional fetching for collection
collect.py   collection and post import into the store, incremental by (platform, account ID, post key)
checks.py    the checks of INDICATORS.md §4, pure functions of AccountFacts
scoring.py   the site scoring engine on the profile's newmedia part
run.py       a check run: facts from the store, checks, scores, stored results, the JSON contract
tables.py    the tables (migration 0008)
cli.py       ``govinspect newmedia collect|check``
"""
