"""The dashboard and the JSON API (``govinspect serve``): FastAPI, Jinja2 pages in Chinese, htmx and ECharts
served from this package (web/assets.py installs them), accounts with roles and unit scopes (web/auth.py)."""
