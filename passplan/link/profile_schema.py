"""The profile TOML schema: every key's kind and range, the required keys, and the checks of the
free-form ``[source]`` table (split from :mod:`passplan.link.profiles`, which reads the files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from ..schema import PROFILE

__all__ = ["MAX_MEAN_PHOTON_NUMBER", "check_source"]

# key -> (kind, lower bound, upper bound, open lower?) ; kind: num, int, str. The ranges are stated
# once, in passplan.schema.PROFILE (the README table and `passplan doctor` read them too).
_NUM = "num"


def _spec(table: str) -> dict[str, tuple[str, float | None, float | None, bool]]:
    kinds = {"text": "str", "integer": "int", "number": _NUM}
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
MAX_MEAN_PHOTON_NUMBER = 10.0


def check_source(src: Mapping[str, Any], filter_nm: float | None, where: str) -> None:
    """Refuse impossible source numbers, naming the file and key (the rest of [source] is free)."""

    def bad(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{where}: [source] {key} = {src[key]!r}: expected {expected}")

    def number(key: str) -> float | None:
        if key not in src:
            return None
        v = src[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise bad(key, "a finite number")
        return float(v)

    rate = number("rep_rate_hz")
    if rate is not None and not rate > 0:
        raise bad("rep_rate_hz", "a positive pulse rate in Hz")
    qber = number("intrinsic_qber")
    if qber is not None and not 0.0 <= qber < 0.5:
        raise bad("intrinsic_qber", "an error rate in [0, 0.5), e.g. 0.011")
    for key in ("intensities", "probabilities"):
        if key in src:
            v = src[key]
            if not isinstance(v, list) or not v or any(
                isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x)
                for x in v
            ):
                raise bad(key, "a list of finite numbers")
    if "intensities" in src:
        mu = [float(x) for x in src["intensities"]]
        if any(x < 0 or x > MAX_MEAN_PHOTON_NUMBER for x in mu):
            raise bad(
                "intensities",
                f"mean photon numbers per pulse in [0, {MAX_MEAN_PHOTON_NUMBER:g}] (decoy BB84 "
                "signals are below about 1, e.g. [0.8, 0.1, 0.0])",
            )
    if "probabilities" in src:
        p = [float(x) for x in src["probabilities"]]
        if any(not 0.0 < x < 1.0 for x in p) or abs(sum(p) - 1.0) > 1e-9:
            raise bad("probabilities", "sending probabilities in (0, 1) summing to 1")
        if "intensities" in src and len(p) != len(src["intensities"]):
            raise bad("probabilities", f"one probability per intensity ({len(src['intensities'])})")
    width = number("linewidth_nm")
    if width is not None:
        if not width > 0:
            raise bad("linewidth_nm", "the source's spectral width in nm, > 0")
        if filter_nm is not None and filter_nm < width:
            raise ConfigError(
                f"{where}: [receiver] filter_nm = {filter_nm:g} is narrower than the source's "
                f"linewidth_nm = {width:g}: the filter would cut the signal itself; widen the "
                "filter or check the linewidth"
            )
