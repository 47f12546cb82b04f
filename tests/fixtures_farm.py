"""Session fixtures for the synthetic site farm: a small farm built once, and a server running it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from govinspect.farm import Farm, build_farm, serving
from govinspect.farm.server import free_port

FARM_SITES = 12
FARM_SEED = 7


@pytest.fixture(scope="session")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Farm:
    """A 12-site farm (every CMS style, GBK variants, every behaviour, every defect kind)."""
    out = tmp_path_factory.mktemp("farm")
    return build_farm(out, sites=FARM_SITES, seed=FARM_SEED, port=free_port(FARM_SITES), slow_seconds=1.0)


@pytest.fixture(scope="session")
def farm_server(farm: Farm) -> Iterator[Farm]:
    """The small farm, served on loopback for the whole session."""
    with serving(farm.root, ready_timeout=30):
        yield farm
