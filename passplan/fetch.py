"""Fetch current element sets from CelesTrak's GP service into the user data folder.

The only module of passplan that touches the network, and only when asked (``passplan elements
update``). Queries follow CelesTrak's GP API (https://celestrak.org/NORAD/documentation/gp-data-formats.php):
``gp.php?CATNR=25544&FORMAT=json``, ``?NAME=MOZI`` (name contains) and ``?GROUP=stations``, answered
with OMM JSON, or with the text ``No GP data found`` when nothing matches. Answers are validated
(every record must build an SGP4 satellite) before anything is written; files are written
atomically to :func:`passplan.elements.user_data_dir`, where :func:`passplan.elements.resolve_satellites`
finds them by name, catalogue number or file name.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from .elements import Satellite, user_data_dir
from .errors import ElementSetError, FetchError, InputError
from .io import atomic_write_text
from .tle_formats import parse_omm_json

__all__ = ["DEFAULT_URL_BASE", "GP_PATH", "FetchError", "Fetched", "gp_url", "fetch_gp", "update"]

DEFAULT_URL_BASE = "https://celestrak.org"
GP_PATH = "/NORAD/elements/gp.php"
MAX_BYTES = 64 * 1024 * 1024
_KEYS = ("CATNR", "NAME", "GROUP")


def _version() -> str:
    """The installed passplan's version, for the User-Agent (read from the package metadata, so
    this module need not import the ``passplan`` package root, which imports every stage)."""
    try:
        return metadata.version("passplan")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Fetched:
    """One query's result: what was asked, where it was saved and the satellites in it."""

    query: str
    url: str
    path: Path
    satellites: list[Satellite]

    def to_dict(self) -> dict[str, Any]:
        """What ``passplan elements update`` reports: the query, the file, how many element sets,
        the newest epoch and the first satellites' names."""
        from .times import iso_z

        return {
            "query": self.query,
            "file": str(self.path),
            "element_sets": len(self.satellites),
            "newest_epoch_utc": iso_z(max(s.epoch for s in self.satellites)),
            "satellites": ", ".join(s.name for s in self.satellites[:3]) + (" ..." if len(self.satellites) > 3 else ""),
        }


def gp_url(url_base: str, key: str, value: str | int) -> str:
    """The GP query URL for ``key`` (CATNR, NAME or GROUP) in OMM JSON.

    ``url_base`` is the server root (``https://celestrak.org``) or a full ``.../gp.php`` address.
    """
    key = key.upper()
    if key not in _KEYS:
        raise InputError(f"unknown GP query {key!r}; use one of {', '.join(_KEYS)}")
    base = url_base.rstrip("/")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"url_base {url_base!r} is not an http(s) address; use e.g. {DEFAULT_URL_BASE}"
        )
    if not parts.path.endswith(".php"):
        base += GP_PATH
    return f"{base}?{urllib.parse.urlencode({key: str(value), 'FORMAT': 'json'})}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _download(url: str, timeout: float) -> str:
    req = urllib.request.Request(
        url, headers={"User-Agent": f"passplan/{_version()}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) checked)
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as err:
        raise FetchError(f"{url}: HTTP {err.code} {err.reason}; check the query and url_base") from None
    except urllib.error.URLError as err:
        raise FetchError(
            f"cannot reach {url}: {err.reason}; check the network connection or url_base"
        ) from None
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {timeout:g} s; try again later") from None
    except OSError as err:
        raise FetchError(f"{url}: {err}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url}: answer larger than {MAX_BYTES // 2**20} MB; ask for less")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FetchError(f"{url}: the answer is not UTF-8 text; expected OMM JSON") from None


def fetch_gp(
    key: str, value: str | int, url_base: str = DEFAULT_URL_BASE, timeout: float = 30.0
) -> tuple[str, list[Satellite], str]:
    """Run one GP query; return ``(json_text, satellites, url)`` after validating every record.

    Raises :class:`FetchError` for an unreachable server, an HTTP error, CelesTrak's
    ``No GP data found`` and anything that is not valid OMM JSON.
    """
    url = gp_url(url_base, key, value)
    query = f"{key.upper()}={value}"
    text = _download(url, timeout)
    stripped = text.strip()
    if not stripped or stripped.lower().startswith("no gp data found") or stripped == "[]":
        hint = {
            "CATNR": "check the catalogue number (the object may have decayed)",
            "NAME": "check the spelling (NAME matches part of CelesTrak's object name)",
            "GROUP": "check the group name, e.g. stations, active, gps-ops, geo",
        }[key.upper()]
        raise FetchError(f"CelesTrak has no GP data for {query}; {hint}")
    if not stripped.startswith(("[", "{")):
        first = stripped.splitlines()[0][:80]
        raise FetchError(f"{url}: expected OMM JSON, got text {first!r}")
    try:
        records = parse_omm_json(text, url)
        sats = [
            Satellite.from_omm(r.fields, "", where=f"{query}: {r.where}") for r in records
        ]
    except ElementSetError as err:
        raise FetchError(f"CelesTrak answer for {query} is not usable: {err}") from None
    if key.upper() == "CATNR" and any(s.norad_id != int(value) for s in sats):
        raise FetchError(f"CelesTrak answer for {query} holds other catalogue numbers; not saved")
    return text, sats, url


def update(
    norad_ids: Sequence[int] = (),
    names: Sequence[str] = (),
    groups: Sequence[str] = (),
    *,
    url_base: str = DEFAULT_URL_BASE,
    output_dir: str | Path | None = None,
    timeout: float = 30.0,
    out_dir: str | Path | None = None,
) -> list[Fetched]:
    """Fetch element sets by catalogue number, name and group, and save each query's OMM JSON as
    ``catnr-<n>.json``, ``name-<slug>.json`` or ``group-<slug>.json`` in ``output_dir`` (default:
    :func:`passplan.elements.user_data_dir`; ``out_dir=``: its old name, deprecated).

    All queries are made and validated first; files are written (atomically) only if every query
    succeeded, so a failed update leaves the folder as it was.
    """
    from .errors import renamed_keyword

    output_dir = renamed_keyword("output_dir", output_dir, "out_dir", out_dir)
    queries: list[tuple[str, str | int, str]] = []
    for n in norad_ids:
        if isinstance(n, bool) or int(n) <= 0 or int(n) > 999_999_999:
            raise InputError(f"norad_ids {n} is not a catalogue number (a positive integer)")
        queries.append(("CATNR", int(n), f"catnr-{int(n)}.json"))
    for name in names:
        if not str(name).strip():
            raise InputError("names must not be empty")
        queries.append(("NAME", str(name).strip(), f"name-{_slug(str(name))}.json"))
    for group in groups:
        if not str(group).strip():
            raise InputError("groups must not be empty")
        queries.append(("GROUP", str(group).strip(), f"group-{_slug(str(group))}.json"))
    if not queries:
        raise InputError("nothing to fetch; give norad_ids, names or groups")
    target = Path(output_dir).expanduser() if output_dir is not None else user_data_dir()
    if target.exists() and not target.is_dir():
        raise InputError(f"output_dir {target} is a file; give a folder")
    got = []
    for key, value, fname in queries:
        text, sats, url = fetch_gp(key, value, url_base, timeout)
        got.append((f"{key}={value}", url, target / fname, text, sats))
    out = []
    target.mkdir(parents=True, exist_ok=True)  # passplan's own data folder (or --out) may be new
    for query, url, path, text, sats in got:
        # normalise to one indented JSON list (CelesTrak's own layout varies)
        data = json.loads(text)
        atomic_write_text(path, json.dumps(data if isinstance(data, list) else [data], indent=1) + "\n")
        out.append(Fetched(query, url, path, [_with_source(s, path) for s in sats]))
    return out


def _with_source(sat: Satellite, path: Path) -> Satellite:
    return replace(sat, source=str(path))
