"""The synthetic site farm (placeholder docstring; see the end of the session)."""

from govinspect.farm.build import build_farm
from govinspect.farm.model import Farm, FarmSite, load_farm
from govinspect.farm.server import serving

__all__ = ["Farm", "FarmSite", "build_farm", "load_farm", "serving"]
