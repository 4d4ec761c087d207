"""``passplan passes --pair A B [--key]``: the windows in which a satellite is usable from two
stations at once (:func:`passplan.pairs.joint_windows`) and, with ``--key``, their entangled-pair
forecast (:func:`passplan.forecast.pair.forecast_pairs`: coincidences, accidentals, sifted bits,
QBER and the BBM92 finite key of each window, plus one line on stderr with the key of all windows
pooled into one block)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..times import iso_z, local_str, zone
from .common import OutputFormat, emit, info, warn

if TYPE_CHECKING:
    from ..passes import Constraints
    from ..stations import Station

__all__ = ["check_pair_options", "run_pair"]


def check_pair_options(pair: Sequence[str], *, station: Sequence[str] | None, fmt: str, sort: str,
                       include_all: bool, min_max_el: float | None, series_dir: Path | None, spread: bool,
                       protocol: str | None, utc: bool, tz: str | None, wide: bool) -> None:
    """Refuse, before any work, the ``passes`` options ``--pair`` does not take (one line each)."""
    if station:
        raise InputError("--pair names the two stations; give it without --station")
    if pair[0] == pair[1]:
        raise InputError(f"--pair names {pair[0]!r} twice; give two different stations")
    given = [
        ("--format ics", fmt == "ics"), ("--format czml", fmt == "czml"), ("--format parquet", fmt == "parquet"), ("--sort", sort != "aos"), ("--all", include_all),
        ("--min-max-el", min_max_el is not None), ("--series-dir", series_dir is not None),
        ("--spread", spread), ("--protocol", protocol is not None), ("--wide", wide),
    ]
    for name, on in given:
        if on:
            raise InputError(f"{name} does not go with --pair (joint windows are listed by start, key by BBM92)")
    if utc and tz is not None:
        raise InputError("give only one of --utc and --tz")
    if tz is not None:
        zone(tz)  # an unknown zone is refused before the search


def _table(records: list[dict[str, Any]], key: bool, tz: str | None) -> str:
    from ..io import to_table

    if not records:
        return "no joint windows\n"
    zone = tz or "UTC"

    def when(text: str) -> str:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return local_str(t, zone)[:19] if tz else iso_z(t)[:19].replace("T", " ")

    header = ["satellite", f"start ({zone})", "end", "dur s", "el A", "el B", "link km"]
    if key:
        header += ["pairs Hz", "SNR", "sifted", "QBER %", "key bits"]
    rows = []
    for r in records:
        row: list[Any] = [r["satellite"], when(r["start_utc"]), when(r["end_utc"])[11:], f"{r['duration_s']:.0f}",
                          f"{r['max_el_deg_a']:.1f}", f"{r['max_el_deg_b']:.1f}",
                          f"{r['min_link_km']:.0f}-{r['max_link_km']:.0f}"]
        if key:
            snr = r["signal_to_noise"]
            row += [f"{r['two_photon_rate_hz']:.2f}", "-" if snr is None else f"{snr:.1f}", f"{r['sifted_bits']:.0f}",
                    f"{100 * r['qber']:.2f}", f"{r['secret_key_bits']:.0f}"]
        rows.append(row)
    title = f"{records[0]['station_a']} (A) and {records[0]['station_b']} (B): {len(records)} joint window(s)\n"
    return title + to_table(rows, header)


def run_pair(pair: Sequence[str], satellites: Sequence[Any], stations: Sequence[Station], t0: datetime,
             t1: datetime, c: Constraints, *, key: bool, profile: str | None, min_duration: float | None,
             fmt: str, tz: str | None, output: Path | None) -> None:
    """Search, forecast (``key``) and write the joint windows of ``pair`` (station ids, looked up in
    ``stations``)."""
    from ..forecast.pair import DEFAULT_PAIR_PROFILE, forecast_pairs, pair_source, pooled_key
    from ..link.profiles import load_profile
    from ..pairs import joint_windows
    from .flags import as_flags

    by_id = {st.id: st for st in stations}
    a, b = (by_id[s] for s in pair)
    phrases = {f"use profile={DEFAULT_PAIR_PROFILE!r}": f"use --profile {DEFAULT_PAIR_PROFILE}"}
    with as_flags(phrases):
        if key:  # the profile must describe a pair source: checked before the search
            pair_source(load_profile(profile or DEFAULT_PAIR_PROFILE))
        found = joint_windows(satellites, a, b, t0, t1, c, min_duration_s=0.0 if min_duration is None else min_duration)
    for w in found.warnings:
        warn(w)
    pooled_line = ""
    if key:
        with as_flags(phrases):
            forecasts = forecast_pairs(found.windows, profile or DEFAULT_PAIR_PROFILE)
        records = [f.to_dict() for f in forecasts]
        if forecasts:
            pooled = pooled_key(forecasts)
            seconds = sum(f.seconds for f in forecasts)
            pooled_line = (
                f"{len(forecasts)} joint window(s), {seconds:.0f} s pooled into one block: "
                f"{pooled.sifted_bits:.0f} sifted bits, QBER {100 * pooled.qber:.2f} %, "
                f"finite key {pooled.secret_key_bits:.0f} bits (BBM92, {forecasts[0].profile_name})"
            )
    else:
        records = found.to_records()
    emit(records, OutputFormat(fmt), lambda: _table(records, key, tz), output)
    if pooled_line:
        info(pooled_line)
