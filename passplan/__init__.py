"""passplan: plan satellite QKD passes and predict the secret key each pass yields.

The one import for mission-ops scripts; topic modules hold the code. matplotlib is not imported
here (plotting lives in its own modules).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ConfigError,
    ElementSetError,
    InputError,
    PassplanError,
    StaleElementsError,
    UnknownNameError,
)

__all__ = [
    "__version__",
    "PassplanError",
    "InputError",
    "ConfigError",
    "ElementSetError",
    "StaleElementsError",
    "UnknownNameError",
]
