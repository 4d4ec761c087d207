"""passplan: plan satellite QKD passes and predict the secret key each pass yields.

The one import for mission-ops scripts; topic modules hold the code (``passplan.link`` for the
optical link budget, ``passplan.keyrate`` for finite-key estimates). The public names below load
their modules on first use (module ``__getattr__``), so ``import passplan`` costs almost
nothing: no numpy, Skyfield, scipy or matplotlib until a name that needs them is touched
(astropy, optional, only for :func:`passes_table` / :func:`forecasts_table`).

Writers (:func:`write_csv`, :func:`write_json`, :func:`write_ndjson`, :func:`write_ics`) write
passes, forecasts or records atomically. Warnings reach scripts through the :mod:`warnings`
module as :class:`PassplanWarning` subclasses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_block

__version__ = "0.1.0"

# The public names, listed once: type checkers read this block as imports; at run time
# passplan.lazy.lazy_block reads it (on the first look-up of a name) into the name -> module
# table and __all__, so each name loads its module on first use.
if TYPE_CHECKING:
    from .astro import forecasts_table, passes_table
    from .coverage import (
        CoverageConstraints,
        CoverageResult,
        Grid,
        Region,
        StationCoverage,
        coverage_at_stations,
        land,
        load_region,
    )
    from .designed import ConstellationDesign, design_geo, design_meo, design_sso, design_walker
    from .elements import (
        Satellite,
        Selection,
        check_freshness,
        default_fleet,
        load_file,
        nearest_epoch,
        resolve_satellites,
    )
    from .errors import (
        ConfigError,
        ElementSetError,
        InputError,
        InputWarning,
        PassplanError,
        PassplanWarning,
        PropagationWarning,
        StaleElementsError,
        StaleElementsWarning,
        UnknownNameError,
    )
    from .exports.czml import write_czml
    from .exports.frames import to_dataframe
    from .exports.gridded import write_netcdf
    from .exports.html import write_html
    from .exports.parquet import write_parquet
    from .forecast import PassForecast, forecast_pass, forecast_passes
    from .forecast.chain import link_at, run_chain, window_key, window_keys
    from .forecast.pair import PairForecast, forecast_pairs, pooled_key
    from .forecast.resolve import ResolvedLink, check_links, resolve_link
    from .forecast.series import SeriesKey, series_key
    from .pairs import JointSearch, JointWindow, joint_windows
    from .passes import (
        Constraints,
        Pass,
        PassGeometry,
        PassSearch,
        find_passes,
        iter_passes,
        passes_to_records,
        sample_pass,
    )
    from .query import (
        PassQuery,
        PassRecord,
        PassSort,
        TonightPasses,
        next_pass,
        search_passes,
        tonight_passes,
    )
    from .report import build_report
    from .scale import close_pools
    from .schedule.candidates_file import CandidatesRun, load_candidates, schedule_candidates
    from .schedule.cloud_record import CloudRecord, load_cloud_record
    from .schedule.entangled import EntangledLink, entangled_links
    from .schedule.network import NetworkKey, load_network
    from .schedule.pools import AppDemand, KeyPools, key_pools, load_demands
    from .schedule.relay import RelayResult
    from .schedule.requests import Request, load_requests
    from .schedule.run import ScheduleRun, network_key, relay_key, schedule_passes
    from .schema import Problem, check_file
    from .sky import Night, tonight
    from .stations import HorizonMask, Station, get_station, load_stations, select_stations
    from .track import Track, track_pass, track_passes
    from .writers import write_csv, write_ics, write_json, write_ndjson

__getattr__, __dir__ = lazy_block(__name__, __file__, globals(), extra=("__version__",))
