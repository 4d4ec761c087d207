"""Link profiles: a space terminal, a ground terminal, detectors, site defaults and the source the
key estimator needs, read from TOML and validated with messages naming the file and key.

Bundled profiles live in ``passplan/data/profiles/<name>.toml``; a user profile is any TOML file
of the same shape (pass its path wherever a profile name is accepted). Every number in a bundled
profile carries its source, or the word "assumed" or "fitted", in a comment.

Layout (sections and keys; ``*`` required)::

    name, description, direction* ("downlink" | "uplink"), wavelength_nm*
    [orbit]        altitude_km*, inclination_deg
    [site]         station, alt_m, sky, visibility_km | visibility, clear_sky_probability,
                   turbidity, ground_albedo
    [turbulence]   wind_rms_m_s, ground_cn2, ground_scale_m, ground_wind_m_s, day_ground_cn2
    [transmitter]  aperture_diameter_m*, obscuration_ratio, optics_efficiency,
                   divergence_urad + divergence_convention | truncation_ratio,
                   pointing_jitter_urad, pointing_bias_urad, tip_tilt_residual,
                   wavefront_error_nm (rms, Marechal Strehl)
    [receiver]     aperture_diameter_m*, obscuration_ratio, optics_efficiency, coupling
                   ("multimode" | "smf"), fov_urad + fov_convention, filter_nm*, correction
                   ("none" | "tip-tilt" | "ao"), tip_tilt_bandwidth_hz, ao_bandwidth_hz,
                   actuators_across, corrected_modes, tracking_beacon_nm (the wavelength the
                   fine tracking centres: atmospheric dispersion puts the signal off centre)
    [detector]     efficiency*, dark_cps (per detector), count, dead_time_ns, gate_ns*
    [source]       numbers for the key estimator: rep_rate_hz, intensities, probabilities,
                   intrinsic_qber, linewidth_nm, protocol (checked when given), and any other
                   notes
"""

from __future__ import annotations

import importlib.resources
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, UnknownNameError
from ..schema import gate_problem
from .ao import AO_MODES
from .atmosphere import VISIBILITY_CLASSES_KM
from .background import SKY_CLASSES
from .beam import DIVERGENCE_CONVENTIONS, min_divergence_half_angle_rad
from .profile_schema import _REQUIRED, _SECTIONS, _SPEC, check_source
from .turbulence import Cn2Profile

__all__ = [
    "Terminal",
    "Detector",
    "Site",
    "Profile",
    "list_profiles",
    "profile_catalogue",
    "load_profile",
    "read_profile",
    "profile_from_dict",
    "bundled_profile_dir",
]

DIRECTIONS = ("downlink", "uplink")
COUPLINGS = ("multimode", "smf")
FOV_CONVENTIONS = ("full", "half")


@dataclass(frozen=True, slots=True)
class Terminal:
    """One end of the link (SI units: metres, radians, hertz).

    ``divergence_half_angle_rad`` is the 1/e^2 half-angle (None: diffraction-limited with the
    Klein-Degnan ``truncation_ratio``); ``fov_half_angle_rad`` None means a single-mode receiver
    or an unlimited field stop; ``tip_tilt_residual`` is the fraction of uplink beam wander left
    by tip-tilt pre-compensation (1 = none).
    """

    aperture_diameter_m: float
    obscuration_ratio: float = 0.0
    optics_efficiency: float = 1.0
    divergence_half_angle_rad: float | None = None
    truncation_ratio: float | None = None
    pointing_jitter_rad: float = 0.0
    pointing_bias_rad: float = 0.0
    tip_tilt_residual: float = 1.0
    wavefront_error_m: float = 0.0
    tracking_beacon_m: float | None = None
    coupling: str = "multimode"
    fov_half_angle_rad: float | None = None
    filter_nm: float | None = None
    correction: str = "none"
    tip_tilt_bandwidth_hz: float | None = None
    ao_bandwidth_hz: float | None = None
    actuators_across: float | None = None
    corrected_modes: int | None = None

    def __post_init__(self) -> None:
        _check_terminal(self, "Terminal")

    @property
    def radius_m(self) -> float:
        return self.aperture_diameter_m / 2.0


@dataclass(frozen=True, slots=True)
class Detector:
    """Single-photon detectors: efficiency, dark counts per detector, count, dead time, gate."""

    efficiency: float
    gate_s: float
    dark_cps: float = 0.0
    count: int = 1
    dead_time_s: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.efficiency <= 1.0:
            raise InputError(f"detector efficiency {self.efficiency} is outside (0, 1]")
        if not self.gate_s > 0.0:
            raise InputError(f"detector gate {self.gate_s} s must be positive")
        if self.dark_cps < 0 or self.dead_time_s < 0 or self.count < 1:
            raise InputError("detector dark_cps and dead time must be >= 0 and count >= 1")


@dataclass(frozen=True, slots=True)
class Site:
    """Defaults for the ground end when no station is given."""

    alt_m: float = 0.0
    station: str | None = None
    sky: str = "dark"
    visibility_km: float = VISIBILITY_CLASSES_KM["clear"]
    clear_sky_probability: float = 1.0
    turbidity: float = 3.0
    ground_albedo: float = 0.3


@dataclass(frozen=True, slots=True)
class Profile:
    """A link profile. ``transmitter`` is the space terminal of a downlink and the ground
    terminal of an uplink; ``receiver`` the other end."""

    name: str
    direction: str
    wavelength_m: float
    orbit_alt_m: float
    transmitter: Terminal
    receiver: Terminal
    detector: Detector
    site: Site = field(default_factory=Site)
    inclination_deg: float = 0.0
    turbulence: Mapping[str, float] = field(default_factory=dict)
    source: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    path: str = ""

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise UnknownNameError("link direction", self.direction, DIRECTIONS)
        if not 200e-9 < self.wavelength_m < 20e-6:
            raise InputError(f"wavelength {self.wavelength_m} m is not an optical wavelength")
        if not self.orbit_alt_m > 0:
            raise InputError(f"orbit altitude {self.orbit_alt_m} m must be positive")
        try:
            Cn2Profile(**self.turbulence)
        except InputError as err:
            raise InputError(f"{self.path or self.name}: {err}") from None
        tx = self.transmitter
        if tx.divergence_half_angle_rad is not None:
            floor = min_divergence_half_angle_rad(self.wavelength_m, tx.aperture_diameter_m / 2, tx.obscuration_ratio)
            if tx.divergence_half_angle_rad < floor * (1 - 1e-9):
                raise InputError(
                    f"{self.path or self.name}: [transmitter] divergence_urad gives a 1/e^2 half-angle of "
                    f"{tx.divergence_half_angle_rad * 1e6:.2f} urad, narrower than a "
                    f"{tx.aperture_diameter_m:g} m aperture can form at {self.wavelength_m * 1e9:g} nm "
                    f"(at least {floor * 1e6:.2f} urad, the Klein-Degnan optimum); give a larger "
                    "aperture_diameter_m or a wider divergence"
                )

    @property
    def ground(self) -> Terminal:
        return self.receiver if self.direction == "downlink" else self.transmitter

    @property
    def space(self) -> Terminal:
        return self.transmitter if self.direction == "downlink" else self.receiver


def _check_terminal(t: Terminal, where: str) -> None:
    if not (t.aperture_diameter_m > 0 and math.isfinite(t.aperture_diameter_m)):
        raise InputError(f"{where}: aperture_diameter_m {t.aperture_diameter_m} must be positive")
    if not 0.0 <= t.obscuration_ratio < 1.0:
        raise InputError(f"{where}: obscuration_ratio {t.obscuration_ratio} must be in [0, 1)")
    if not 0.0 < t.optics_efficiency <= 1.0:
        raise InputError(f"{where}: optics_efficiency {t.optics_efficiency} is outside (0, 1]")
    for key in ("pointing_jitter_rad", "pointing_bias_rad", "wavefront_error_m"):
        v = getattr(t, key)
        if not (v >= 0 and math.isfinite(v)):
            raise InputError(f"{where}: {key} {v} must be a finite number >= 0")
    if t.divergence_half_angle_rad is not None and not t.divergence_half_angle_rad > 0:
        raise InputError(
            f"{where}: divergence_half_angle_rad {t.divergence_half_angle_rad} must be positive"
        )
    if t.coupling not in COUPLINGS:
        raise UnknownNameError("coupling", t.coupling, COUPLINGS, where)
    if t.correction not in AO_MODES:
        raise UnknownNameError("correction", t.correction, AO_MODES, where)


# --- TOML reading --------------------------------------------------------------------------

def bundled_profile_dir() -> Path:
    """Folder of the bundled profile TOML files."""
    return Path(str(importlib.resources.files("passplan") / "data" / "profiles"))


def list_profiles() -> list[str]:
    """Names of the bundled profiles (file stems), sorted."""
    return sorted(p.stem for p in bundled_profile_dir().glob("*.toml"))


def profile_catalogue() -> list[dict[str, Any]]:
    """One record per bundled profile (``passplan link --list``): name, direction, wavelength
    (nm), orbit altitude (km) and description."""
    recs = []
    for name in list_profiles():
        p = load_profile(name)
        recs.append({
            "profile": name,
            "direction": p.direction,
            "wavelength_nm": round(p.wavelength_m * 1e9, 6),
            "orbit_alt_km": p.orbit_alt_m / 1e3,
            "description": p.description,
        })
    return recs


def load_profile(name_or_path: str | os.PathLike[str]) -> Profile:
    """A bundled profile by name, or a profile TOML file by path (``*.toml`` or an existing file).

    Unknown names raise :class:`UnknownNameError` with the nearest bundled names.
    """
    text = os.fspath(name_or_path)
    path = Path(text)
    if text.endswith(".toml") or path.is_file():
        return read_profile(path)
    bundled = bundled_profile_dir() / f"{text}.toml"
    if not bundled.is_file():
        raise UnknownNameError("profile", text, list_profiles(), "the bundled profiles")
    return read_profile(bundled)


#: Profiles read in this process, by resolved path, modification time (ns) and size: a run reads
#: each file once however many stages ask for it, and an edited file is read again.
_READ: dict[tuple[str, int, int], Profile] = {}  # passplan.io.read_once


def _read_text(p: Path) -> str:
    """The text of a profile file (one place, so tests can count the reads): UTF-8, a byte-order
    mark dropped; an empty, binary or missing file is one error naming it."""
    from ..schema import read_text

    return read_text(p, "link profile TOML")


def read_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and validate one profile file; errors name the file and the key.

    Memoised by the file's resolved path, ``st_mtime_ns`` and ``st_size`` (the same frozen
    :class:`Profile` comes back until the file changes)."""
    from ..io import read_once

    def build(p: Path) -> Profile:
        try:
            data = tomllib.loads(_read_text(p))
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{p}: TOML syntax error: {err}; fix the file") from None
        return profile_from_dict(data, where=str(p), default_name=p.stem)

    return read_once(Path(path), _READ, build)


def _get(
    table: Mapping[str, Any], section: str, key: str, where: str, spec_section: str | None = None
) -> Any:
    kind, lo, hi, open_lo = _SPEC[spec_section if spec_section is not None else section][key]
    value = table[key]
    loc = f"{where}: [{section}] {key}" if section else f"{where}: {key}"
    if kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{loc} = {value!r}: expected a string")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{loc} = {value!r}: expected a number")
    if kind == "int" and not float(value).is_integer():
        raise ConfigError(f"{loc} = {value!r}: expected a whole number")
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(f"{loc} = {value!r}: expected a finite number")
    if lo is not None and (v < lo or (open_lo and v == lo)):
        rel = ">" if open_lo else ">="
        raise ConfigError(f"{loc} = {value!r}: must be {rel} {lo:g}")
    if hi is not None and v > hi and key != "obscuration_ratio":
        raise ConfigError(f"{loc} = {value!r}: must be <= {hi:g}")
    if key == "obscuration_ratio" and v >= 1.0:
        raise ConfigError(
            f"{loc} = {value!r}: the central obscuration must be smaller than the aperture "
            "(ratio of diameters in [0, 1))"
        )
    return int(v) if kind == "int" else v


def _table(data: Mapping[str, Any], section: str, where: str) -> dict[str, Any]:
    raw = data.get(section, {})
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: [{section}] must be a table")
    spec = _SPEC["terminal" if section in ("transmitter", "receiver") else section]
    for key in raw:
        if key not in spec:
            raise UnknownNameError("key", key, spec, f"{where} [{section}]")
    for key in _REQUIRED.get(section, ()):
        if key not in raw:
            raise ConfigError(f"{where}: [{section}] {key} is missing; it is required")
    return dict(raw)


def _choice(value: str, choices: tuple[str, ...] | Mapping[str, Any], kind: str, loc: str) -> str:
    if value not in choices:
        raise UnknownNameError(kind, value, choices, loc)
    return value


def _terminal(data: Mapping[str, Any], section: str, where: str) -> Terminal:
    t = _table(data, section, where)

    def g(key: str, default: Any = None) -> Any:
        return _get(t, section, key, where, "terminal") if key in t else default

    loc = f"{where} [{section}]"
    half: float | None = None
    if "divergence_urad" in t:
        if "divergence_convention" not in t:
            raise ConfigError(
                f"{where}: [{section}] divergence_urad needs divergence_convention: one of "
                f"{', '.join(DIVERGENCE_CONVENTIONS)} (e.g. 'fwhm_full' for a full width at half "
                "maximum, 'half_1e2' for the 1/e^2 half-angle)"
            )
        conv = _choice(
            g("divergence_convention"), DIVERGENCE_CONVENTIONS, "divergence convention", loc
        )
        half = g("divergence_urad") * 1e-6 * DIVERGENCE_CONVENTIONS[conv]
    elif "divergence_convention" in t:
        raise ConfigError(
            f"{where}: [{section}] divergence_convention is given without divergence_urad"
        )
    fov: float | None = None
    if "fov_urad" in t:
        if "fov_convention" not in t:
            raise ConfigError(
                f"{where}: [{section}] fov_urad needs fov_convention = 'full' or 'half' "
                "(full angle or half-angle of the field stop)"
            )
        conv = _choice(g("fov_convention"), FOV_CONVENTIONS, "field-of-view convention", loc)
        fov = g("fov_urad") * 1e-6 * (0.5 if conv == "full" else 1.0)
    coupling = _choice(g("coupling", "multimode"), COUPLINGS, "coupling", loc)
    if section == "receiver" and coupling == "multimode" and fov is None:
        raise ConfigError(
            f"{where}: [receiver] fov_urad is missing: a multimode receiver needs its field of "
            "view (fov_urad and fov_convention) for the turbulent spot and the sky background"
        )
    correction = _choice(g("correction", "none"), AO_MODES, "correction", loc)
    if correction == "ao" and "actuators_across" not in t and "corrected_modes" not in t:
        raise ConfigError(
            f"{where}: [{section}] correction = 'ao' needs actuators_across or corrected_modes"
        )
    try:
        return Terminal(
            aperture_diameter_m=g("aperture_diameter_m"),
            obscuration_ratio=g("obscuration_ratio", 0.0),
            optics_efficiency=g("optics_efficiency", 1.0),
            divergence_half_angle_rad=half,
            truncation_ratio=g("truncation_ratio"),
            pointing_jitter_rad=g("pointing_jitter_urad", 0.0) * 1e-6,
            pointing_bias_rad=g("pointing_bias_urad", 0.0) * 1e-6,
            tip_tilt_residual=g("tip_tilt_residual", 1.0),
            wavefront_error_m=g("wavefront_error_nm", 0.0) * 1e-9,
            tracking_beacon_m=None if "tracking_beacon_nm" not in t else g("tracking_beacon_nm") * 1e-9,
            coupling=coupling,
            fov_half_angle_rad=fov,
            filter_nm=g("filter_nm"),
            correction=correction,
            tip_tilt_bandwidth_hz=g("tip_tilt_bandwidth_hz"),
            ao_bandwidth_hz=g("ao_bandwidth_hz"),
            actuators_across=g("actuators_across"),
            corrected_modes=g("corrected_modes"),
        )
    except InputError as err:
        raise ConfigError(f"{where}: [{section}] {err}") from None


def profile_from_dict(
    data: Mapping[str, Any], where: str = "<profile>", default_name: str = ""
) -> Profile:
    """Build a :class:`Profile` from parsed TOML, validating every key (errors name ``where``)."""
    for key in data:
        if key not in _SPEC[""] and key not in _SECTIONS:
            raise UnknownNameError("key", key, [*_SPEC[""], *_SECTIONS], where)
    for key in _REQUIRED[""]:
        if key not in data:
            raise ConfigError(f"{where}: {key} is missing; it is required")
    for section in ("orbit", "transmitter", "receiver", "detector"):
        if section not in data:
            raise ConfigError(f"{where}: the [{section}] table is missing; it is required")
    top = {k: _get(data, "", k, where) for k in _SPEC[""] if k in data}
    direction = _choice(top["direction"], DIRECTIONS, "link direction", f"{where} direction")
    orbit = _table(data, "orbit", where)
    site_t = _table(data, "site", where)
    turb_t = _table(data, "turbulence", where)
    det_t = _table(data, "detector", where)
    src = data.get("source", {})
    if not isinstance(src, Mapping):
        raise ConfigError(f"{where}: [source] must be a table")

    site_kw: dict[str, Any] = {}
    for key in ("alt_m", "clear_sky_probability", "turbidity", "ground_albedo", "visibility_km"):
        if key in site_t:
            site_kw[key] = _get(site_t, "site", key, where)
    if "station" in site_t:
        site_kw["station"] = _get(site_t, "site", "station", where)
    if "sky" in site_t:
        site_kw["sky"] = _choice(
            _get(site_t, "site", "sky", where), SKY_CLASSES, "sky class", f"{where} [site] sky"
        )
    if "visibility" in site_t:
        if "visibility_km" in site_t:
            raise ConfigError(f"{where}: [site] give visibility or visibility_km, not both")
        vis = _choice(
            _get(site_t, "site", "visibility", where),
            VISIBILITY_CLASSES_KM,
            "visibility class",
            f"{where} [site] visibility",
        )
        site_kw["visibility_km"] = VISIBILITY_CLASSES_KM[vis]

    tx = _terminal(data, "transmitter", where)
    rx = _terminal(data, "receiver", where)
    check_source(src, rx.filter_nm, where)
    det = Detector(
        efficiency=_get(det_t, "detector", "efficiency", where),
        gate_s=_get(det_t, "detector", "gate_ns", where) * 1e-9,
        dark_cps=_get(det_t, "detector", "dark_cps", where) if "dark_cps" in det_t else 0.0,
        count=_get(det_t, "detector", "count", where) if "count" in det_t else 1,
        dead_time_s=(_get(det_t, "detector", "dead_time_ns", where) * 1e-9)
        if "dead_time_ns" in det_t
        else 0.0,
    )
    why = gate_problem(_get(det_t, "detector", "gate_ns", where), src.get("rep_rate_hz"))
    if why:
        raise ConfigError(f"{where}: {why}")
    return Profile(
        name=top.get("name", default_name) or default_name,
        description=top.get("description", ""),
        direction=direction,
        wavelength_m=top["wavelength_nm"] * 1e-9,
        orbit_alt_m=_get(orbit, "orbit", "altitude_km", where) * 1e3,
        inclination_deg=_get(orbit, "orbit", "inclination_deg", where)
        if "inclination_deg" in orbit
        else 0.0,
        transmitter=tx,
        receiver=rx,
        detector=det,
        site=Site(**site_kw),
        turbulence={k: _get(turb_t, "turbulence", k, where) for k in turb_t},
        source=dict(src),
        path=where,
    )
