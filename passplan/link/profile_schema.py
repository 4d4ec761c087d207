"""The profile TOML schema: every key's kind and range, the required keys, and the checks of the
free-form ``[source]`` table (split from :mod:`passplan.link.profiles`, which reads the files).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

__all__ = ["MAX_MEAN_PHOTON_NUMBER", "check_source"]

# key -> (kind, lower bound, upper bound, open lower?) ; kind: num, int, str, bool
_NUM = "num"
_SPEC: dict[str, dict[str, tuple[str, float | None, float | None, bool]]] = {
    "": {
        "name": ("str", None, None, False),
        "description": ("str", None, None, False),
        "direction": ("str", None, None, False),
        "wavelength_nm": (_NUM, 200.0, 20000.0, True),
    },
    "orbit": {
        "altitude_km": (_NUM, 0.0, 400_000.0, True),
        "inclination_deg": (_NUM, 0.0, 180.0, False),
    },
    "site": {
        "station": ("str", None, None, False),
        "alt_m": (_NUM, -500.0, 9000.0, False),
        "sky": ("str", None, None, False),
        "visibility_km": (_NUM, 0.0, 1000.0, True),
        "visibility": ("str", None, None, False),
        "clear_sky_probability": (_NUM, 0.0, 1.0, False),
        "turbidity": (_NUM, 1.7, 10.0, False),
        "ground_albedo": (_NUM, 0.0, 1.0, False),
    },
    "turbulence": {
        "wind_rms_m_s": (_NUM, 0.0, 200.0, False),
        "ground_cn2": (_NUM, 0.0, 1e-10, False),
        "ground_scale_m": (_NUM, 0.0, 10000.0, True),
        "ground_wind_m_s": (_NUM, 0.0, 100.0, False),
        "day_ground_cn2": (_NUM, 0.0, 1e-10, False),
    },
    "terminal": {
        "aperture_diameter_m": (_NUM, 0.0, 100.0, True),
        "obscuration_ratio": (_NUM, 0.0, 1.0, False),
        "optics_efficiency": (_NUM, 0.0, 1.0, True),
        "divergence_urad": (_NUM, 0.0, 1e5, True),
        "divergence_convention": ("str", None, None, False),
        "truncation_ratio": (_NUM, 0.0, 100.0, True),
        "pointing_jitter_urad": (_NUM, 0.0, 1e5, False),
        "pointing_bias_urad": (_NUM, 0.0, 1e5, False),
        "tip_tilt_residual": (_NUM, 0.0, 1.0, False),
        "wavefront_error_nm": (_NUM, 0.0, 1e4, False),
        "tracking_beacon_nm": (_NUM, 200.0, 20000.0, True),
        "coupling": ("str", None, None, False),
        "fov_urad": (_NUM, 0.0, 1e6, True),
        "fov_convention": ("str", None, None, False),
        "filter_nm": (_NUM, 0.0, 1e4, True),
        "correction": ("str", None, None, False),
        "tip_tilt_bandwidth_hz": (_NUM, 0.0, 1e7, True),
        "ao_bandwidth_hz": (_NUM, 0.0, 1e7, True),
        "actuators_across": (_NUM, 0.0, 1e4, True),
        "corrected_modes": ("int", 1.0, 1e6, False),
    },
    "detector": {
        "efficiency": (_NUM, 0.0, 1.0, True),
        "dark_cps": (_NUM, 0.0, 1e9, False),
        "count": ("int", 1.0, 1e3, False),
        "dead_time_ns": (_NUM, 0.0, 1e9, False),
        "gate_ns": (_NUM, 0.0, 1e9, True),
    },
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
