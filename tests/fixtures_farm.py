"""Session fixtures for the synthetic site farm: a small farm built once, and a server running it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from govinspect.farm import Farm, build_farm, serving

FARM_SITES = 12
FARM_SEED = 7


def free_farm_port() -> int:
    """A port free on the external origin and every site address of a small farm."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
        probe.close()
        taken = False
        for i in range(FARM_SITES + 2):
            s = socket.socket()
            try:
                s.bind((f"127.0.{1 + i // 250}.{1 + i % 250}", port))
            except OSError:
                taken = True
            finally:
                s.close()
        if not taken:
            return port
    raise RuntimeError("no free port for the farm")


@pytest.fixture(scope="session")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Farm:
    """A 12-site farm (every CMS style, GBK variants, every behaviour, every defect kind)."""
    out = tmp_path_factory.mktemp("farm")
    return build_farm(out, sites=FARM_SITES, seed=FARM_SEED, port=free_farm_port(), slow_seconds=1.0)


@pytest.fixture(scope="session")
def farm_server(farm: Farm) -> Iterator[Farm]:
    """The small farm, served on loopback for the whole session."""
    with serving(farm.root, ready_timeout=30):
        yield farm
