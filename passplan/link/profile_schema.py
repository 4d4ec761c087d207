"""The profile TOML schema: every key's kind and range, the required keys, and the checks of the
free-form ``[source]`` table (split from :mod:`passplan.link.profiles`, which reads the files).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from ..schema import PROFILE, SOURCE_MAX_MEAN_PHOTON_NUMBER, source_problems

__all__ = ["MAX_MEAN_PHOTON_NUMBER", "check_source"]

# key -> (kind, lower bound, upper bound, open lower?) ; kind: num, int, str. The ranges are stated
# once, in passplan.schema.PROFILE (the README table and `passplan doctor` read them too).
_NUM = "num"


def _spec(table: str) -> dict[str, tuple[str, float | None, float | None, bool]]:
    kinds = {"text": "str", "choice": "str", "integer": "int", "number": _NUM}
    return {
        k.name: (kinds[k.type], None if k.lo is None else float(k.lo), None if k.hi is None else float(k.hi), k.lo_open)
        for k in PROFILE.table(table).keys
    }


_SPEC: dict[str, dict[str, tuple[str, float | None, float | None, bool]]] = {
    "": _spec("(top level)"),
    "orbit": _spec("[orbit]"),
    "site": _spec("[site]"),
    "turbulence": _spec("[turbulence]"),
    "terminal": _spec("[transmitter]"),
    "detector": _spec("[detector]"),
}
_SECTIONS = ("orbit", "site", "turbulence", "transmitter", "receiver", "detector", "source")
_REQUIRED = {
    "": ("direction", "wavelength_nm"),
    "orbit": ("altitude_km",),
    "transmitter": ("aperture_diameter_m",),
    "receiver": ("aperture_diameter_m", "filter_nm"),
    "detector": ("efficiency", "gate_ns"),
}


#: Largest mean photon number a weak-coherent-pulse source can declare: decoy BB84 signals are
#: below about 1 (Micius 0.8); anything past 10 is a unit slip (photons per second, per slot).
MAX_MEAN_PHOTON_NUMBER = SOURCE_MAX_MEAN_PHOTON_NUMBER


def check_source(src: Mapping[str, Any], filter_nm: float | None, where: str) -> None:
    """Refuse impossible source numbers, naming the file and key (the rest of [source] is free;
    the rules are :func:`passplan.schema.source_problems`, which ``passplan doctor`` runs too)."""
    problems = source_problems(src, filter_nm)
    if problems:
        raise ConfigError(f"{where}: {problems[0]}")
