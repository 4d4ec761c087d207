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
from .lazy import lazy_names

__version__ = "0.1.0"

#: public name -> the module that defines it (loaded on first use)
_LAZY = {
    "Satellite": "elements",
    "Selection": "elements",
    "load_file": "elements",
    "nearest_epoch": "elements",
    "check_freshness": "elements",
    "resolve_satellites": "elements",
    "default_fleet": "elements",
    "Station": "stations",
    "HorizonMask": "stations",
    "load_stations": "stations",
    "get_station": "stations",
    "select_stations": "stations",
    "Constraints": "passes",
    "Pass": "passes",
    "PassGeometry": "passes",
    "PassSearch": "passes",
    "find_passes": "passes",
    "iter_passes": "passes",
    "sample_pass": "passes",
    "passes_to_records": "passes",
    "Night": "sky",
    "tonight": "sky",
    "PassForecast": "forecast",
    "forecast_pass": "forecast",
    "forecast_passes": "forecast",
    "write_csv": "writers",
    "write_json": "writers",
    "write_ndjson": "writers",
    "write_ics": "writers",
    "passes_table": "astro",
    "forecasts_table": "astro",
}

__all__ = [
    "__version__",
    "Satellite",
    "Selection",
    "load_file",
    "nearest_epoch",
    "check_freshness",
    "resolve_satellites",
    "default_fleet",
    "Station",
    "HorizonMask",
    "load_stations",
    "get_station",
    "select_stations",
    "Constraints",
    "Pass",
    "PassGeometry",
    "PassSearch",
    "find_passes",
    "iter_passes",
    "sample_pass",
    "passes_to_records",
    "Night",
    "tonight",
    "PassForecast",
    "forecast_pass",
    "forecast_passes",
    "write_csv",
    "write_json",
    "write_ndjson",
    "write_ics",
    "passes_table",
    "forecasts_table",
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
    "PassplanWarning",
    "InputWarning",
    "StaleElementsWarning",
    "PropagationWarning",
]


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


if TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
    from .astro import forecasts_table, passes_table
    from .elements import (
        Satellite,
        Selection,
        check_freshness,
        default_fleet,
        load_file,
        nearest_epoch,
        resolve_satellites,
    )
    from .forecast import PassForecast, forecast_pass, forecast_passes
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
    from .sky import Night, tonight
    from .stations import HorizonMask, Station, get_station, load_stations, select_stations
    from .writers import write_csv, write_ics, write_json, write_ndjson
