"""The protocol record: source, detector and security parameters of a decoy-state BB84 link.

A :class:`Protocol` is a frozen record validated in ``__post_init__``; :meth:`Protocol.from_toml`
reads the flat TOML file described in issue 4 and names the file and key in every error.

Defaults (each marked with its origin; "assumed" means a typical value, not a measurement):

=======================  ===================  =========================================================
key                      default              origin
=======================  ===================  =========================================================
pulses_per_s             1e8                  SatQuMA shipped example and Micius source (100 MHz)
p_x                      0.75                 assumed starting point (optimised when ``optimise``)
intensities              (0.8, 0.1, 0.0)      Micius 2017 signal/decoy/vacuum mean photon numbers
probabilities            (0.5, 0.25, 0.25)    Micius 2017
afterpulse_prob          1e-3                 SatQuMA vector A (assumed typical Si-APD value)
extraneous_click_prob    5e-7                 SatQuMA shipped example (dark + stray, per detector, gate)
intrinsic_qber           5e-3                 SatQuMA shipped example (Micius measured about 1.1 %)
eps_sec, eps_cor         1e-9, 1e-15          SatQuMA vector A
f_ec                     1.16                 issue 4 / SatQuMA
bounds, decoys           chernoff, 2          issue 4 (``chernoff-tight``: exact inversion, see decoy_bb84)
optimise                 true                 issue 4
error_model              resolved             see :mod:`passplan.keyrate.counts`
ec_method                f_ec                 ``f_ec * n * h(Q)``; ``tomamichel`` for Tomamichel 2017
p_x_max                  0.99                 assumed: keeps the test basis populated (SatQuMA trap)
slot_s                   1.0                  issue 4 (one slot per second)
key_bases                x                    passplan's own estimator: key from the X basis (Lim 2014);
                                              ``both``: each basis gives key, its phase errors bounded
                                              from the other basis (issue 18, ``micius2017``)
key_intensities          all                  every intensity's sifted bits carry key (Lim 2014);
                                              ``signal``: only signal-intensity bits, the decoy and
                                              vacuum bits serve the bounds only (issue 18)
=======================  ===================  =========================================================
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError, UnknownNameError
from ..schema import PROTOCOL, SOURCE_MAX_MEAN_PHOTON_NUMBER, decoy_problems

#: The protocol keys' types and ranges, stated once (passplan.schema.PROTOCOL).
_TABLE = PROTOCOL.table("(top level)")

__all__ = ["Protocol", "BOUNDS", "ERROR_MODELS", "EC_METHODS", "KEY_BASES", "KEY_INTENSITIES", "load_protocol",
           "bundled_protocols", "analysis_label"]

#: Largest mean photon number per pulse accepted: weak-coherent decoy BB84 signals are below about
#: 1 (Micius 0.8); a value past 10 is a unit slip (photons per second or per slot), which would
#: otherwise surface only as a zero key ("block too small").
MAX_MEAN_PHOTON_NUMBER = SOURCE_MAX_MEAN_PHOTON_NUMBER

BOUNDS = _TABLE.key("bounds").choices
ERROR_MODELS = _TABLE.key("error_model").choices
EC_METHODS = _TABLE.key("ec_method").choices
#: Which sifted bases give key: ``x`` (passplan's own estimator, Lim 2014: X gives key, Z tests)
#: or ``both`` (symmetric BB84 as Micius 2017 counted it: each basis's key, phase errors from the
#: other basis).
KEY_BASES = _TABLE.key("key_bases").choices
#: Which intensities' sifted bits give key: ``all`` (Lim 2014) or ``signal`` (GLLP-style: decoy and
#: vacuum bits only feed the decoy bounds).
KEY_INTENSITIES = _TABLE.key("key_intensities").choices


def analysis_label(key_bases: str, key_intensities: str) -> str:
    """A short name for which sifted bits carry key: ``"passplan X basis"`` for passplan's own
    estimator (X basis, every intensity), else the bases and intensities used."""
    if (key_bases, key_intensities) == ("x", "all"):
        return "passplan X basis"
    bases = "both bases" if key_bases == "both" else "X basis"
    bits = "signal bits" if key_intensities == "signal" else "all intensities"
    return f"{bases}, {bits}"


def _read_text(path: Path) -> str:
    """The text of a protocol file (one place, so tests can count the reads): UTF-8, a
    byte-order mark dropped; an empty, binary or missing file is one error naming it."""
    from ..schema import read_text

    return read_text(path, "protocol TOML")


@dataclass(frozen=True, slots=True)
class Protocol:
    """Decoy-state efficient BB84: source, detection and security settings.

    ``intensities`` are mean photon numbers ordered signal > decoy (> vacuum); with ``decoys=2``
    three values (signal, decoy, vacuum) as in Lim et al. PRA 89, 022307 (2014), which requires
    ``mu1 > mu2 + mu3`` and ``mu2 > mu3 >= 0``; with ``decoys=1`` two values (signal, decoy) as in
    Rusca et al. APL 112, 171104 (2018), requiring ``mu1 > mu2 > 0``. ``probabilities`` are the
    matching sending probabilities and sum to 1. ``p_x`` is the probability of the key (X) basis
    for both Alice and Bob. ``key_bases`` and ``key_intensities`` say which sifted bits carry key
    (module docstring). ``extraneous_click_prob`` is the dark plus stray click probability
    per detector and gate; a ``background_prob`` series adds to it.
    """

    pulses_per_s: float = 1e8
    p_x: float = 0.75
    intensities: tuple[float, ...] = (0.8, 0.1, 0.0)
    probabilities: tuple[float, ...] = (0.5, 0.25, 0.25)
    afterpulse_prob: float = 1e-3
    extraneous_click_prob: float = 5e-7
    intrinsic_qber: float = 5e-3
    eps_sec: float = 1e-9
    eps_cor: float = 1e-15
    f_ec: float = 1.16
    bounds: str = "chernoff"
    decoys: int = 2
    optimise: bool = True
    error_model: str = "resolved"
    ec_method: str = "f_ec"
    p_x_max: float = 0.99
    slot_s: float = 1.0
    key_bases: str = "x"
    key_intensities: str = "all"
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        where = f" in protocol {self.name!r}" if self.name else ""

        def bad(key: str, value: Any, expected: str) -> InputError:
            return InputError(f"protocol key {key!r} is {value!r}{where}; expected {expected}")

        object.__setattr__(self, "intensities", tuple(float(v) for v in self.intensities))
        object.__setattr__(self, "probabilities", tuple(float(v) for v in self.probabilities))
        for key in ("pulses_per_s", "p_x", "afterpulse_prob", "extraneous_click_prob",
                    "intrinsic_qber", "eps_sec", "eps_cor", "f_ec", "p_x_max", "slot_s"):
            value = getattr(self, key)
            spec = _TABLE.key(key)
            if spec.problem(value) is not None:
                raise bad(key, value, spec.expected())
        if self.bounds not in BOUNDS:
            raise UnknownNameError("bounds", str(self.bounds), BOUNDS, self.name)
        if self.error_model not in ERROR_MODELS:
            raise UnknownNameError("error_model", str(self.error_model), ERROR_MODELS, self.name)
        if self.ec_method not in EC_METHODS:
            raise UnknownNameError("ec_method", str(self.ec_method), EC_METHODS, self.name)
        if self.key_bases not in KEY_BASES:
            raise UnknownNameError("key_bases", str(self.key_bases), KEY_BASES, self.name)
        if self.key_intensities not in KEY_INTENSITIES:
            raise UnknownNameError("key_intensities", str(self.key_intensities), KEY_INTENSITIES, self.name)
        if isinstance(self.decoys, bool) or self.decoys not in (1, 2):
            raise bad("decoys", self.decoys, "1 (Rusca 2018) or 2 (Lim 2014)")
        if not isinstance(self.optimise, bool):
            raise bad("optimise", self.optimise, "true or false")
        # the decoy-state rules (lengths, ranges, sum, ordering) are stated once, in
        # passplan.schema.decoy_problems, which `passplan doctor` runs too
        for key, value, expected in decoy_problems(self.decoys, self.intensities, self.probabilities):
            raise bad(key, value, expected)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_toml(cls, path: str | Path) -> Protocol:
        """Read a flat protocol TOML file; unknown keys raise :class:`UnknownNameError`.

        Memoised by the file's resolved path, ``st_mtime_ns`` and ``st_size`` (a run reads each
        file once; an edited file is read again)."""
        from ..io import read_once

        def build(p: Path) -> Protocol:
            try:
                data = tomllib.loads(_read_text(p))
            except tomllib.TOMLDecodeError as err:
                raise ConfigError(f"{p}: not valid TOML ({err}); fix the syntax") from None
            return cls.from_mapping(data, where=str(p))

        return read_once(Path(path), _READ, build)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str = "") -> Protocol:
        """Build from a flat mapping (as read from TOML); ``where`` names the source in errors."""
        known = {f.name for f in fields(cls)} - {"name"}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise UnknownNameError("protocol key", key, known, where)
            if isinstance(value, dict):
                raise ConfigError(f"{where}: key {key!r} must be a value, not a table; the file is flat")
            kwargs[key] = tuple(value) if isinstance(value, list) else value
        if "decoys" in kwargs and "intensities" not in kwargs and kwargs["decoys"] == 1:
            kwargs.setdefault("intensities", (0.5, 0.1))
            kwargs.setdefault("probabilities", (0.7, 0.3))
        name = Path(where).stem if where else ""
        try:
            return cls(**kwargs, name=name)
        except InputError as err:
            raise ConfigError(f"{where}: {err}" if where else str(err)) from None
        except TypeError as err:
            raise ConfigError(f"{where}: {err}") from None

    def with_params(self, p_x: float, intensities: tuple[float, ...],
                    probabilities: tuple[float, ...]) -> Protocol:
        """A copy with other source parameters (used by the optimiser)."""
        return replace(self, p_x=float(p_x), intensities=tuple(intensities),
                       probabilities=tuple(probabilities))

    def key_fraction(self, p_x: float | None = None) -> float:
        """The share of pulses whose sifted bits carry key (the ``q`` of a GLLP rate): ``p_x**2``
        for the X basis, plus ``(1 - p_x)**2`` with ``key_bases = "both"``, times the signal's
        sending probability with ``key_intensities = "signal"`` (``p_x`` defaults to the
        protocol's)."""
        px = self.p_x if p_x is None else float(p_x)
        q = px * px
        if self.key_bases == "both":
            q += (1.0 - px) ** 2
        if self.key_intensities == "signal":
            q *= self.probabilities[0]
        return q

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (lists for tuples)."""
        d = asdict(self)
        d["intensities"] = list(self.intensities)
        d["probabilities"] = list(self.probabilities)
        return d


#: Protocols read in this process, by resolved path, modification time (ns) and size.
_READ: dict[tuple[str, int, int], Protocol] = {}  # passplan.io.read_once


def bundled_protocols() -> dict[str, Path]:
    """Protocol files shipped with passplan (``passplan/data/protocols/*.toml``) by name."""
    from importlib import resources

    root = resources.files("passplan") / "data" / "protocols"
    out: dict[str, Path] = {}
    try:
        for item in root.iterdir():
            if item.name.endswith(".toml"):
                out[item.name[:-5]] = Path(str(item))
    except FileNotFoundError:  # pragma: no cover - data folder missing in a broken install
        pass
    return out


def load_protocol(name_or_path: str | Path | None) -> Protocol:
    """A bundled protocol by name (``micius``, ``jinan1``), a TOML file, or the defaults (None)."""
    if name_or_path is None:
        return Protocol()
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return Protocol.from_toml(path)
    bundled = bundled_protocols()
    if str(name_or_path) in bundled:
        return Protocol.from_toml(bundled[str(name_or_path)])
    raise UnknownNameError("protocol", str(name_or_path), bundled, "the bundled protocols")
