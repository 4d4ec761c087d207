"""A two-arm entangled channel: one pair source on the satellite, one photon of each pair down
to each of two stations (entanglement-based QKD, BBM92; issue 19).

Per time slot, arm ``i`` (A or B) has the transmittance ``eta_i`` of its downlink (the link
budget of that station's geometry, detector efficiency included: the one chain,
:mod:`passplan.forecast.pair`) and a noise rate ``noise_i`` (detected sky background plus the
detectors' dark counts, counts/s). With a source emitting ``R`` pairs per second (continuous
pumping: pairs arrive at random times, no pulse train):

- **singles** at each station: ``S_i = R eta_i + noise_i`` (``noise_i`` includes a fixed
  ``station_noise_cps`` when the source gives one);
- **true coincidences** (both photons of one pair detected): ``C = R eta_A eta_B``;
- **accidental coincidences** (two uncorrelated clicks within the coincidence window ``tau``):
  ``A = S_A S_B tau`` (the product of independent Poisson rates; e.g. Bourgoin et al., New J.
  Phys. 15, 023006 (2013), and Ma, Fung and Lo, Phys. Rev. A 76, 012307 (2007),
  for the same counting with a pair source);
- **sifted** (both stations chose the same basis; passive 50:50 basis choice at each):
  ``(C + A) * basis_match`` with ``basis_match = 1/2``;
- **QBER**: a true coincidence errs with the intrinsic probability ``e_int`` (polarisation
  contrast of source and links, ``(1 - V) / 2`` for a two-photon visibility ``V``), an
  accidental with 1/2: ``E = (e_int C + A / 2) / (C + A)``.

The signal-to-noise ratio the papers quote is ``C / A``. Multi-pair emission within ``tau`` is
already in ``A`` (the singles include every pair's photons). Detector dead time is left out:
at the singles of a satellite link (kHz) and tens of ns it removes under 1e-3.

Everything here is numpy on whole arrays (one value per slot); nothing imports the link budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import InputError

__all__ = ["PairSource", "PairCounts", "pair_counts", "BASIS_MATCH"]

#: The share of coincidences whose two bases agree with a passive, unbiased basis choice at
#: both stations (BBM92: Bennett, Brassard and Mermin, Phys. Rev. Lett. 68, 557 (1992)).
BASIS_MATCH = 0.5


@dataclass(frozen=True)
class PairSource:
    """An entangled-pair source and the coincidence logic of the two stations.

    ``pair_rate_hz``: pairs emitted per second into the two transmitters; ``window_s``: the
    coincidence window; ``intrinsic_qber``: error of a true coincidence in a matched basis
    (``(1 - V) / 2``); ``basis_match``: share of coincidences in matching bases;
    ``station_noise_cps``: detected noise at each station added to the noise given per slot
    (what a link budget does not model: stray light, detector noise)."""

    pair_rate_hz: float
    window_s: float
    intrinsic_qber: float = 0.0
    basis_match: float = BASIS_MATCH
    station_noise_cps: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.pair_rate_hz) and self.pair_rate_hz > 0):
            raise InputError(f"pair_rate_hz {self.pair_rate_hz!r} is not a pair rate; give pairs per second > 0, e.g. 5.9e6")
        if not (np.isfinite(self.window_s) and 0 < self.window_s < 1e-3):
            raise InputError(f"window_s {self.window_s!r} is not a coincidence window; give seconds in (0, 1e-3), e.g. 2.5e-9")
        if not 0.0 <= self.intrinsic_qber < 0.5:
            raise InputError(f"intrinsic_qber {self.intrinsic_qber!r} is outside [0, 0.5); give e.g. 0.015")
        if not 0.0 < self.basis_match <= 1.0:
            raise InputError(f"basis_match {self.basis_match!r} is outside (0, 1]; give 0.5 for passive basis choice")
        if not (np.isfinite(self.station_noise_cps) and self.station_noise_cps >= 0):
            raise InputError(f"station_noise_cps {self.station_noise_cps!r} is not a count rate; give counts/s >= 0")


@dataclass(frozen=True, eq=False)
class PairCounts:
    """Rates per slot (counts/s, arrays of one shape) of a two-arm channel (module docstring)."""

    singles_a_cps: NDArray[np.float64]
    singles_b_cps: NDArray[np.float64]
    true_cps: NDArray[np.float64]
    accidental_cps: NDArray[np.float64]
    sifted_cps: NDArray[np.float64]
    errors_cps: NDArray[np.float64]

    @property
    def coincidence_cps(self) -> NDArray[np.float64]:
        """All coincidences, true plus accidental (what the stations count)."""
        return self.true_cps + self.accidental_cps

    @property
    def qber(self) -> NDArray[np.float64]:
        """Error rate of the sifted coincidences (0 where there is none)."""
        s = self.sifted_cps
        return np.divide(self.errors_cps, s, out=np.zeros_like(s), where=s > 0)


def pair_counts(source: PairSource, eta_a: ArrayLike, eta_b: ArrayLike, noise_a_cps: ArrayLike,
                noise_b_cps: ArrayLike) -> PairCounts:
    """The rates of the two-arm channel (module docstring) for arm transmittances ``eta_a``,
    ``eta_b`` and noise rates ``noise_a_cps``, ``noise_b_cps`` (broadcast together; non-finite
    values, as below the horizon, count as zero)."""
    def clean(v: ArrayLike, name: str) -> NDArray[np.float64]:
        x = np.asarray(v, float)
        x = np.where(np.isfinite(x), x, 0.0)
        if np.any(x < 0):
            raise InputError(f"{name} holds negative values; give transmittances and rates >= 0")
        return x

    ea, eb = clean(eta_a, "eta_a"), clean(eta_b, "eta_b")
    if np.any(ea > 1) or np.any(eb > 1):
        raise InputError("eta_a/eta_b hold transmittances above 1; give values in [0, 1]")
    na, nb = clean(noise_a_cps, "noise_a_cps"), clean(noise_b_cps, "noise_b_cps")
    ea, eb, na, nb = np.broadcast_arrays(ea, eb, na, nb)
    r, extra = source.pair_rate_hz, source.station_noise_cps
    sa, sb = r * ea + na + extra, r * eb + nb + extra
    true = r * ea * eb
    acc = sa * sb * source.window_s
    m = source.basis_match
    return PairCounts(
        singles_a_cps=sa, singles_b_cps=sb, true_cps=true, accidental_cps=acc,
        sifted_cps=m * (true + acc), errors_cps=m * (source.intrinsic_qber * true + 0.5 * acc),
    )
