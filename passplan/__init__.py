"""passplan: plan satellite QKD passes and predict the secret key each pass yields.

The one import for mission-ops scripts; topic modules hold the code (``passplan.link`` for the
optical link budget, ``passplan.keyrate`` for finite-key estimates). matplotlib is not imported
here.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .elements import (  # noqa: E402
    Satellite,
    Selection,
    check_freshness,
    default_fleet,
    load_file,
    nearest_epoch,
    resolve_satellites,
)
from .errors import (  # noqa: E402
    ConfigError,
    ElementSetError,
    InputError,
    PassplanError,
    StaleElementsError,
    UnknownNameError,
)
from .passes import Constraints, Pass, PassGeometry, find_passes, sample_pass  # noqa: E402
from .sky import Night, tonight  # noqa: E402
from .stations import HorizonMask, Station, get_station, load_stations, select_stations  # noqa: E402

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
    "find_passes",
    "sample_pass",
    "Night",
    "tonight",
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
]
