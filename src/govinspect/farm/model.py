"""The farm as others see it: ``Farm`` and ``FarmSite``, read back from the manifest ``farm.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from govinspect.farm.tls import CA_FILE
from govinspect.registry.model import SiteCategory

MANIFEST = "farm.json"


@dataclass(frozen=True)
class FarmSite:
    index: int
    site_code: str
    name: str
    sponsor: str
    base_url: str  # http(s)://127.0.X.Y:PORT (no trailing slash)
    host: str
    port: int
    category: SiteCategory
    region: str
    down: bool
    behaviour: str | None  # None | down | firewall | slow | flaky
    style: str  # trs | wcm | jsp
    page_variant: str
    encoding: str  # the bytes on disk: utf-8 | gbk
    header_charset: str | None  # charset in the Content-Type header (may lie; None = no charset)
    meta_charset: str  # charset in the page's meta tag (may lie)
    encoding_variant: str
    homepage: str  # path of the homepage, e.g. /index.html
    search_path: str | None  # None when the site has no search
    search_param: str | None
    search: str  # ok | missing | broken
    icp: str
    psb: str
    dir: str  # relative to the farm root
    tls: str | None = None  # None: served over http; else the certificate variant (farm/tls.py)

    @property
    def url(self) -> str:
        return self.base_url + "/"

    @property
    def homepage_url(self) -> str:
        return self.base_url + self.homepage

    def to_json(self) -> dict:
        data = asdict(self)
        data["category"] = self.category.value
        return data

    @classmethod
    def from_json(cls, data: dict) -> FarmSite:
        return cls(**(data | {"category": SiteCategory(data["category"])}))


@dataclass
class Farm:
    root: Path
    seed: int
    as_of: date
    port: int
    province: dict
    external_host: str
    external_404: list[str]
    slow_seconds: float
    flaky_every: int
    defect_rate: float
    sites: list[FarmSite] = field(default_factory=list)
    # site code -> column URLs whose list is loaded by JavaScript from a JSON file (build_farm(js_sites=…))
    js_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def registry_csv(self) -> Path:
        return self.root / "registry.csv"

    @property
    def accounts_csv(self) -> Path:
        return self.root / "accounts.csv"

    @property
    def ca_file(self) -> Path:
        """The farm CA's certificate, which signs the https sites' good certificates (``--ca-file``)."""
        return self.root / CA_FILE

    @property
    def truth_path(self) -> Path:
        return self.root / "truth.json"

    @property
    def external_base(self) -> str:
        return f"http://{self.external_host}:{self.port}"

    def site(self, site_code: str) -> FarmSite:
        return next(s for s in self.sites if s.site_code == site_code)

    def site_dir(self, site: FarmSite) -> Path:
        return self.root / site.dir

    def truth(self) -> dict:
        return json.loads(self.truth_path.read_text("utf-8"))

    def manifest(self) -> dict:
        return {
            "schema": 1,
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "port": self.port,
            "province": self.province,
            "external_host": self.external_host,
            "external_404": self.external_404,
            "slow_seconds": self.slow_seconds,
            "flaky_every": self.flaky_every,
            "defect_rate": self.defect_rate,
            "sites": [s.to_json() for s in self.sites],
        } | ({"js_columns": self.js_columns} if self.js_columns else {})


def load_farm(out: Path | str) -> Farm:
    root = Path(out)
    data = json.loads((root / MANIFEST).read_text("utf-8"))
    return Farm(
        root=root,
        seed=data["seed"],
        as_of=date.fromisoformat(data["as_of"]),
        port=data["port"],
        province=data["province"],
        external_host=data["external_host"],
        external_404=data["external_404"],
        slow_seconds=data["slow_seconds"],
        flaky_every=data["flaky_every"],
        defect_rate=data["defect_rate"],
        sites=[FarmSite.from_json(s) for s in data["sites"]],
        js_columns=data.get("js_columns", {}),
    )
