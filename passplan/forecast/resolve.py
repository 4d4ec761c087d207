"""Which link profile and protocol apply to a pass: one function, one precedence.

**Profile**, first that names one:

1. ``profile``: the command option / keyword that overrides (``--profile`` of ``passes``,
   ``tonight``, ``next``, ``track``, ``schedule``, ...);
2. the satellite's own profile (designed satellites may name one);
3. ``default_profile``: a profile for the satellites that name none (``coverage --profile``,
   grid and ``--compare``);
4. the station's ``receiver``.

**Protocol**: the ``protocol`` keyword, else the bundled protocol paired with the profile
(``micius`` -> ``micius2017``, ``jinan-1`` -> ``jinan1``, :data:`PROFILE_PROTOCOLS`), else
passplan's defaults. When the protocol is not named, the profile's source pulse rate and
intrinsic QBER replace the protocol's (the profile describes the hardware flying). Dark counts
and sky background come from the link budget, per detector and gate, so the protocol's
``extraneous_click_prob`` is set to zero (it would count them twice).

Profiles and protocols are read through their loaders, which keep each file read once per run
(memoised by path, modification time and size); :class:`ResolvedLink` carries the loaded
records by value, and resolving the same files again gives the same records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..errors import InputError
from ..keyrate.protocol import Protocol, load_protocol
from ..link.profiles import Profile, load_profile

__all__ = [
    "ResolvedLink", "resolve_link", "profile_name_for", "check_links", "MissingProfileError", "PROFILE_PROTOCOLS",
    "protocol_variant", "MAX_PULSES_PER_S",
]

#: The bundled protocol that goes with a bundled link profile.
#: ``micius`` -> ``micius2017``: the profile stands for the flown mission, so its key is the
#: paper's own analysis (both bases, signal bits); passplan's own X-basis estimator on the same
#: hardware stays the ``micius`` protocol (issue 18).
PROFILE_PROTOCOLS = {"micius": "micius2017", "jinan-1": "jinan1", "micius-2021": "micius2021"}


class MissingProfileError(InputError):
    """Nothing names a link profile for a pass: no ``profile=``, no profile of the satellite, no
    ``receiver`` at the station. ``station_id`` names the station (None when there is none); the
    message names the library keyword ``profile=`` (the CLI words its own with its option)."""

    def __init__(self, station_id: str | None) -> None:
        self.station_id = station_id
        where = f"station {station_id!r} names no receiver profile" if station_id else "no link profile is named"
        super().__init__(
            f"{where}; give profile= (a bundled name from passplan.link.list_profiles() or a "
            "profile TOML file) or add receiver = \"...\" to its station table"
        )


@dataclass(frozen=True, eq=False)
class ResolvedLink:
    """A loaded link profile and the protocol the key is estimated with.

    ``profile_name`` is the profile's own name (the file's ``name`` or stem), ``protocol_name``
    the protocol's (``"default"`` for passplan's defaults), ``source`` where the profile came
    from: ``"profile"`` (the keyword), ``"satellite"``, ``"default"`` (``default_profile``) or
    ``"station"``."""

    profile: Profile
    protocol: Protocol
    profile_name: str
    protocol_name: str
    source: str = "profile"


def profile_name_for(
    profile: str | None,
    satellite: Any = None,
    station: Any = None,
    *,
    default_profile: str | None = None,
) -> tuple[str | None, str]:
    """The profile name that applies, by the one precedence (module docstring: ``profile``, the
    satellite's own, ``default_profile``, the station's ``receiver``), and where it came from
    (``"profile"``, ``"satellite"``, ``"default"`` or ``"station"``); ``(None, "")`` when none
    names one."""
    if profile:
        return str(profile), "profile"
    own = getattr(satellite, "profile", None) if satellite is not None else None
    if own:
        return str(own), "satellite"
    if default_profile:
        return str(default_profile), "default"
    receiver = getattr(station, "receiver", None) if station is not None else None
    if receiver:
        return str(receiver), "station"
    return None, ""


#: Resolved pairs by the identity of the loaded records (the loaders return the same objects
#: until a file changes) and whether the protocol was named; the records are held, so the ids
#: stay theirs.
_DEFAULT_PROTOCOL = Protocol()
_MEMO: dict[tuple[int, int, str | None], tuple[Profile, Protocol, ResolvedLink]] = {}


def _resolved(name: str, protocol: str | None, source: str) -> ResolvedLink:
    prof = load_profile(name)
    proto_name = protocol or PROFILE_PROTOCOLS.get(prof.name)
    base = load_protocol(proto_name) if proto_name else _DEFAULT_PROTOCOL
    key = (id(prof), id(base), protocol)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is prof and hit[1] is base:
        out = hit[2]
        return out if out.source == source else replace(out, source=source)
    proto = base
    if protocol is None:
        src = prof.source or {}
        changes: dict[str, Any] = {}
        if "rep_rate_hz" in src:
            changes["pulses_per_s"] = float(src["rep_rate_hz"])
        if "intrinsic_qber" in src:
            changes["intrinsic_qber"] = float(src["intrinsic_qber"])
        proto = replace(proto, **changes)
    proto = replace(proto, extraneous_click_prob=0.0)
    out = ResolvedLink(prof, proto, prof.name, proto_name or "default", source)
    _MEMO[key] = (prof, base, out)
    while len(_MEMO) > 64:
        _MEMO.pop(next(iter(_MEMO)))
    return out


def resolve_link(
    profile: str | None = None,
    protocol: str | None = None,
    satellite: Any = None,
    station: Any = None,
    *,
    default_profile: str | None = None,
) -> ResolvedLink:
    """The link profile and protocol of a pass of ``satellite`` over ``station`` (module
    docstring for the precedence). Raises :class:`MissingProfileError` (an
    :class:`passplan.errors.InputError` naming the ``profile`` keyword) when nothing names one; unknown or invalid profiles and protocols
    raise the loaders' errors."""
    name, source = profile_name_for(profile, satellite, station, default_profile=default_profile)
    if name is None:
        raise MissingProfileError(getattr(station, "id", None))
    return _resolved(name, protocol, source)


def check_links(
    stations: Iterable[Any],
    satellites: Iterable[Any] = (),
    *,
    profile: str | None = None,
    protocol: str | None = None,
    default_profile: str | None = None,
) -> None:
    """Check, before any work, that key forecasts of these satellites over these stations can
    resolve their link: ``profile``, ``default_profile`` and ``protocol`` (when given) load;
    without ``profile``, every satellite's own profile loads and, unless every satellite names
    one or ``default_profile`` is given, every station names a ``receiver`` that loads. A station
    without one raises :class:`MissingProfileError` (naming ``profile=`` and carrying
    ``station_id``, so the CLI can word it with its option); a receiver that does not load raises
    ``InputError("station 'id': receiver 'name': ...")``."""
    for name in (profile, default_profile):
        if name:
            load_profile(name)
    if protocol:
        load_protocol(protocol)
    if profile:
        return
    sats = list(satellites)
    own = {getattr(s, "profile", None) for s in sats}
    for name in sorted(n for n in own if n):
        load_profile(name)
    if (sats and None not in own) or default_profile:
        return
    for st in stations:
        if not getattr(st, "receiver", None):
            raise MissingProfileError(st.id)
        try:
            load_profile(st.receiver)
        except InputError as err:
            raise InputError(f"station {st.id!r}: receiver {st.receiver!r}: {err}") from None


#: Highest ``pulses_per_s`` accepted (assumed: ten times the fastest QKD sources reported, a few
#: GHz, e.g. 2.5 GHz in Gruenenfelder et al., Nature Photonics 17, 422 (2023)).
MAX_PULSES_PER_S = 1e11


def protocol_variant(
    protocol: str | Protocol | None = None,
    *,
    pulses_per_s: float | None = None,
    bounds: str | None = None,
    decoys: int | None = None,
    optimise: bool | None = None,
) -> Protocol:
    """``protocol`` (a bundled name, a TOML path, a Protocol, or None for passplan's defaults)
    with the source pulse rate, the finite-key deviations (``bounds``), the number of decoys (1:
    Rusca et al. 2018, 2: Lim et al. 2014; the intensities and probabilities follow: the signal's
    probability kept, the rest split 3:1 between the decoy and the vacuum for two decoys) or
    ``optimise=False`` (the protocol's parameters and every slot) changed."""
    import math

    pr = protocol if isinstance(protocol, Protocol) else load_protocol(protocol)
    changes: dict[str, Any] = {}
    if pulses_per_s is not None:
        if not (math.isfinite(pulses_per_s) and 0 < pulses_per_s <= MAX_PULSES_PER_S):
            raise InputError(
                f"pulses_per_s {pulses_per_s:g} is outside (0, {MAX_PULSES_PER_S:g}]; give the source's "
                "pulse rate per second (1e8 for a 100 MHz source)"
            )
        changes["pulses_per_s"] = pulses_per_s
    if bounds is not None:
        changes["bounds"] = bounds
    if decoys is not None:
        if decoys not in (1, 2):
            raise InputError(f"decoys is {decoys}; expected 1 or 2")
        changes["decoys"] = decoys
        if decoys != pr.decoys:
            if decoys == 1:
                changes["intensities"] = pr.intensities[:2]
                changes["probabilities"] = (pr.probabilities[0], 1.0 - pr.probabilities[0])
            else:
                changes["intensities"] = (*pr.intensities, 0.0)
                p1 = pr.probabilities[0]
                changes["probabilities"] = (p1, 0.75 * (1 - p1), 0.25 * (1 - p1))
    if optimise is not None:
        changes["optimise"] = bool(optimise)
    return replace(pr, **changes) if changes else pr
