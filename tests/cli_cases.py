"""A cheap, valid invocation of every passplan command, shared by the walks that vary it
(tests/test_hostile.py: option values; tests/test_faultwalk.py: files, outputs, signals); each
checks that every registered command has one."""

from __future__ import annotations

from pathlib import Path

import passplan

DATA = Path(passplan.__file__).parent / "data"
T0 = "2026-03-20T12:00Z"

#: A cheap, valid invocation of every command (a walk replaces or joins one of its values).
BASE: dict[str, list[str]] = {
    "passes": ["--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--hours", "2"],
    "tonight": ["xinglong", "--sats", "DEMO-SSO-1", "--date", "2026-03-20"],
    "link": ["--profile", "micius", "--elevation-deg", "45"],
    "key": ["{series}"],
    "schedule": ["--sats", "DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--hours", "2"],
    "relay": ["xinglong", "nanshan", "--sats", "DEMO-SSO-1", "--start", T0, "--hours", "2"],
    "network": [str(DATA / "networks" / "china-integrated.toml"), "--from", "xinglong", "--to", "nanshan",
                "--sats", "DEMO-SSO-1", "--start", T0, "--hours", "2"],
    "pools": [str(DATA / "networks" / "china-integrated.toml"), "--demand", "beijing:shanghai=100",
              "--sats", "DEMO-SSO-1", "--start", T0, "--hours", "2", "--weather-trials", "2"],
    "track": ["DEMO-SSO-1", "--station", "xinglong", "--at", T0],
    "next": ["DEMO-SSO-1", "--station", "xinglong", "--start", T0, "--within-days", "1"],
    "coverage": ["--sats", "DEMO-SSO-1", "--grid-deg", "30", "--start", T0, "--days", "1"],
    "stations list": [],
    "stations show": ["xinglong"],
    "elements list": ["--at", T0],
    "elements show": ["micius", "--at", T0],
    "elements update": ["--norad", "25544", "--url-base", "http://127.0.0.1:9"],
    "constellation walker": ["--altitude-km", "550", "--notation", "53:12/3/1"],
    "constellation sso": ["--altitude-km", "550", "--ltan", "10:30"],
    "constellation meo": ["--altitude-km", "8000", "--inclination-deg", "50"],
    "constellation geo": ["--longitude-deg", "100"],
    "constellation show": [str(DATA / "fleet" / "demo.toml"), "--at", T0],
    "doctor": [str(DATA / "stations.toml")],
    "report": ["xinglong", "--sats", "DEMO-SSO-1", "--date", "2026-03-20"],
}

#: Values of text options the numeric and path walks do not reach: (command, option) -> (the
#: arguments the option needs beside the base invocation, values refused before any work with
#: exit 2 and one error line naming the option; tests/test_schedule_entangled.py walks them).
TEXT_CASES: dict[tuple[str, str], tuple[list[str], tuple[str, ...]]] = {
    ("schedule", "--entangled"): (["--station", "nanshan"], ("", "nosuchsat", "0", "{folder}")),
    ("schedule", "--entangled-profile"): (["--station", "nanshan", "--entangled", "DEMO-SSO-1"],
                                          ("", "micius", "nosuchprofile", "{folder}", "{missing}")),
}
