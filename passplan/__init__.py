"""passplan: plan satellite QKD passes and predict the secret key each pass yields.

The one import for mission-ops scripts; topic modules hold the code (``passplan.link`` for the
optical link budget, ``passplan.keyrate`` for finite-key estimates). The public names below load
their modules on first use (module ``__getattr__``), so ``import passplan`` costs almost
nothing: no numpy, Skyfield, scipy or matplotlib until a name that needs them is touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import (
    ConfigError,
    ElementSetError,
    InputError,
    PassplanError,
    StaleElementsError,
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
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
]


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)


if TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
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
