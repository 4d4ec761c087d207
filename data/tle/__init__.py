"""Bundled element sets, installed as the package ``passplan.tle_data`` (see README.md here)."""
