"""Bundled element sets (installed package data).

In the repository the files live in ``data/tle/`` at the top level; ``pyproject.toml`` maps this
package there (``[tool.setuptools.package-dir]``), so a wheel installs them here. In a source
checkout or an editable install this folder holds only this file and
:func:`passplan.elements.bundled_tle_dir` reads ``data/tle/`` directly.
"""
