"""Profile files: every bundled one loads and documents its numbers; bad input is named clearly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from passplan.errors import ConfigError, InputError, UnknownNameError
from passplan.link import Terminal, list_profiles, load_profile
from passplan.link.beam import DIVERGENCE_CONVENTIONS, min_divergence_half_angle_rad
from passplan.link.profiles import bundled_profile_dir

REQUIRED = {"micius", "micius-uplink", "jinan-1", "meo-generic", "geo-generic", "daylight-1550"}


def test_bundled_profiles_present_and_load() -> None:
    assert REQUIRED <= set(list_profiles())
    for name in list_profiles():
        p = load_profile(name)
        assert p.name == name and p.description


def test_every_number_has_a_source_or_says_assumed() -> None:
    """Every numeric assignment in a bundled profile carries a comment: a source, 'assumed' or
    'fitted' (or sits in a table whose header comment names the source)."""
    for path in sorted(bundled_profile_dir().glob("*.toml")):
        header_source = False
        for line in path.read_text().splitlines():
            if line.startswith("["):
                header_source = "#" in line
                continue
            m = re.match(r"^\s*([a-z_0-9]+)\s*=\s*([-+0-9.\[][^#]*)(#.*)?$", line)
            if not m:
                continue
            comment = m.group(3) or ""
            assert comment or header_source, f"{path.name}: {line!r} has no source"


def test_micius_divergence_convention() -> None:
    p = load_profile("micius")
    assert p.transmitter.divergence_half_angle_rad == pytest.approx(8.49e-6, rel=1e-3)


_BASE = """
direction = "downlink"
wavelength_nm = 850.0
[orbit]
altitude_km = 500.0
[transmitter]
aperture_diameter_m = 0.3
divergence_urad = 10.0
divergence_convention = "fwhm_full"
[receiver]
aperture_diameter_m = 1.0
fov_urad = 20.0
fov_convention = "full"
filter_nm = 1.0
[detector]
efficiency = 0.5
gate_ns = 2.0
"""


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "mine.toml"
    f.write_text(text)
    return f


def test_user_profile_by_path(tmp_path: Path) -> None:
    p = load_profile(_write(tmp_path, _BASE))
    assert p.name == "mine" and p.path.endswith("mine.toml")


def test_unknown_profile_suggests() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'micius'"):
        load_profile("micuis")


@pytest.mark.parametrize(
    ("old", "new", "pattern"),
    [
        (
            "divergence_urad = 10.0",
            "divergense_urad = 10.0",
            r"mine\.toml \[transmitter\].*divergence_urad",
        ),
        (
            'divergence_convention = "fwhm_full"\n',
            "",
            r"\[transmitter\] divergence_urad needs divergence_convention",
        ),
        (
            'divergence_convention = "fwhm_full"',
            'divergence_convention = "fwhm"',
            r"unknown divergence convention 'fwhm'.*did you mean.*'fwhm_full'",
        ),
        ('fov_convention = "full"\n', "", r"\[receiver\] fov_urad needs fov_convention"),
        (
            "aperture_diameter_m = 1.0",
            "aperture_diameter_m = -1.0",
            r"mine\.toml: \[receiver\] aperture_diameter_m = -1\.0: must be > 0",
        ),
        (
            "aperture_diameter_m = 1.0",
            "aperture_diameter_m = 1.0\nobscuration_ratio = 1.0",
            r"\[receiver\] obscuration_ratio = 1\.0: the central obscuration",
        ),
        (
            "aperture_diameter_m = 1.0",
            "aperture_diameter_m = 1.0\nobscuration_ratio = 1.5",
            r"obscuration_ratio = 1\.5",
        ),
        ("efficiency = 0.5", "efficiency = 1.5", r"\[detector\] efficiency = 1\.5: must be <= 1"),
        ("filter_nm = 1.0\n", "", r"\[receiver\] filter_nm is missing"),
        ('direction = "downlink"', 'direction = "down"', r"did you mean 'downlink'"),
        (
            "wavelength_nm = 850.0",
            'wavelength_nm = "850"',
            r"wavelength_nm = '850': expected a number",
        ),
        (
            'fov_urad = 20.0\nfov_convention = "full"\n',
            "",
            r"fov_urad is missing: a multimode receiver",
        ),
        ("[detector]", "[detectr]", r"unknown key 'detectr'.*did you mean 'detector'"),
        # physically impossible values (issue 10): efficiencies outside (0, 1], negative
        # apertures or jitter, a filter narrower than the source, absurd intensities
        ("efficiency = 0.5", "efficiency = 0.0", r"\[detector\] efficiency = 0\.0: must be > 0"),
        (
            "divergence_urad = 10.0",
            "divergence_urad = 10.0\noptics_efficiency = 1.2",
            r"\[transmitter\] optics_efficiency = 1\.2: must be <= 1",
        ),
        (
            "divergence_urad = 10.0",
            "divergence_urad = 10.0\npointing_jitter_urad = -0.3",
            r"\[transmitter\] pointing_jitter_urad = -0\.3: must be >= 0",
        ),
        (
            "divergence_urad = 10.0",
            "divergence_urad = 10.0\nwavefront_error_nm = -5.0",
            r"\[transmitter\] wavefront_error_nm = -5\.0: must be >= 0",
        ),
        ("aperture_diameter_m = 0.3", "aperture_diameter_m = 0.0", r"\[transmitter\] aperture_diameter_m = 0\.0: must be > 0"),
        ("gate_ns = 2.0\n", "gate_ns = 2.0\n[source]\nlinewidth_nm = 2.0\n",
         r"\[receiver\] filter_nm = 1 is narrower than the source's linewidth_nm = 2"),
        ("gate_ns = 2.0\n", "gate_ns = 2.0\n[source]\nintensities = [80, 0.1, 0.0]\n",
         r"\[source\] intensities = \[80, 0\.1, 0\.0\]: expected mean photon numbers per pulse in \[0, 10\]"),
        ("gate_ns = 2.0\n", "gate_ns = 2.0\n[source]\nprobabilities = [0.5, 0.6]\n",
         r"\[source\] probabilities .*summing to 1"),
        ("gate_ns = 2.0\n", "gate_ns = 2.0\n[source]\nrep_rate_hz = -1e8\n", r"\[source\] rep_rate_hz"),
        ("gate_ns = 2.0\n", "gate_ns = 2.0\n[source]\nintrinsic_qber = 0.7\n", r"\[source\] intrinsic_qber"),
        (
            "altitude_km = 500.0",
            "altitude_km = 500.0\ncorrection = 'ao'",
            r"unknown key 'correction' in .*mine\.toml \[orbit\]",
        ),
    ],
)
def test_bad_profiles_name_file_and_key(tmp_path: Path, old: str, new: str, pattern: str) -> None:
    assert old in _BASE
    f = _write(tmp_path, _BASE.replace(old, new, 1))
    with pytest.raises((ConfigError, UnknownNameError), match=pattern) as err:
        load_profile(f)
    assert "mine.toml" in str(err.value)


def test_ao_needs_actuators(tmp_path: Path) -> None:
    text = _BASE.replace("filter_nm = 1.0", 'filter_nm = 1.0\ncoupling = "smf"\ncorrection = "ao"')
    with pytest.raises(ConfigError, match="actuators_across or corrected_modes"):
        load_profile(_write(tmp_path, text))


def test_toml_syntax_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mine\.toml: TOML syntax error"):
        load_profile(_write(tmp_path, _BASE + "\nthis is not toml\n"))


def test_terminal_record_validates() -> None:
    with pytest.raises(InputError, match="obscuration_ratio"):
        Terminal(aperture_diameter_m=1.0, obscuration_ratio=1.0)
    with pytest.raises(InputError, match="aperture_diameter_m"):
        Terminal(aperture_diameter_m=-0.3)


def test_quoted_divergence_cannot_beat_the_aperture(tmp_path: Path) -> None:
    """A Gaussian beam of 1/e^2 half-angle theta has on-axis gain 8/theta^2; an aperture of
    radius a gives at most 0.8145 (2 pi a / lambda)^2 (Klein and Degnan, Appl. Opt. 13, 2134
    (1974), unobscured optimum), so theta >= sqrt(8 / 0.8145) / (2 pi) lambda / a = 0.4988 lambda/a.
    Every bundled profile respects it; one that does not is refused naming the file and key."""
    import math

    from passplan.link.beam import min_divergence_half_angle_rad

    assert min_divergence_half_angle_rad(1.0, 1.0) == pytest.approx(math.sqrt(8 / 0.8145) / (2 * math.pi), rel=1e-4)
    # an obscured aperture has a lower optimum gain, so a wider floor
    assert min_divergence_half_angle_rad(1.0, 1.0, 0.3) > min_divergence_half_angle_rad(1.0, 1.0)
    for name in list_profiles():
        p = load_profile(name)
        tx = p.transmitter
        if tx.divergence_half_angle_rad is not None:
            floor = min_divergence_half_angle_rad(p.wavelength_m, tx.aperture_diameter_m / 2, tx.obscuration_ratio)
            assert tx.divergence_half_angle_rad >= floor, name
    text = (bundled_profile_dir() / "jinan-1.toml").read_text()
    # (the assumed Jinan-1 aperture is 0.20 m since issue 18; 0.05 m cannot form its 15 urad FWHM)
    narrow = text.replace("aperture_diameter_m = 0.20 ", "aperture_diameter_m = 0.05 ", 1)
    assert narrow != text
    f = tmp_path / "narrow.toml"
    f.write_text(narrow)
    with pytest.raises(InputError, match=r"narrow\.toml: \[transmitter\] divergence_urad .*at least 16\.96 urad"):
        load_profile(f)


def test_daytime_ground_layer_never_weaker_than_the_night(tmp_path: Path) -> None:
    """By day the boundary layer is ten times the night's ground term unless the profile says
    otherwise (HV A = 1.7e-13 by day vs 1.7e-14 at night, Andrews and Phillips 2005), so a site
    with strong night turbulence keeps it stronger by day; a day value below the night's is
    refused naming the file."""
    from dataclasses import replace

    from passplan.link import link_budget

    p = load_profile("daylight-1550")
    strong = replace(p, turbulence={**p.turbulence, "ground_cn2": 5e-13})
    args = {"elevation_deg": 45.0, "sun_separation_deg": 90.0}
    night = link_budget(strong, sun_elevation_deg=-30.0, **args)
    day = link_budget(strong, sun_elevation_deg=30.0, **args)
    assert day.r0_m < night.r0_m
    assert day.r0_m == pytest.approx(night.r0_m * 10 ** (-3 / 5), rel=0.15)  # r0 ~ (int Cn2)^(-3/5), ground-dominated
    text = (bundled_profile_dir() / "daylight-1550.toml").read_text()
    bad = text.replace("[turbulence]", "[turbulence]\nday_ground_cn2 = 1e-15", 1)
    f = tmp_path / "weakday.toml"
    f.write_text(bad)
    with pytest.raises(InputError, match=r"weakday\.toml: \[turbulence\] day_ground_cn2 1e-15 is below"):
        load_profile(f)


def test_profile_with_bom_and_crlf_reads_like_the_plain_file(tmp_path: Path) -> None:
    """issue 17: a byte-order mark (Windows editors) and CRLF line ends are fine; an empty file
    is one error naming it."""
    from passplan.link.profiles import bundled_profile_dir, read_profile

    text = (bundled_profile_dir() / "micius.toml").read_text()
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    plain = read_profile(bundled_profile_dir() / "micius.toml")
    got = read_profile(bom)
    assert (got.detector, got.receiver, got.transmitter, got.source) == (
        plain.detector, plain.receiver, plain.transmitter, plain.source)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(ConfigError, match=r"empty.toml: the file is empty"):
        read_profile(empty)


# --- physical ranges of every bundled profile (issue 18) ------------------------------------------

#: Profiles that model a flown satellite (their space transmitter is a real one): their beam may
#: not be better than the flown Micius downlink's, the one flown QKD transmitter whose aperture and
#: divergence are published (10 urad FWHM from 0.30 m at 848.6 nm, Liao et al., Nature 549, 43
#: (2017); ../shared/reference/README.md s.3 and s.6): 3.0x its Klein-Degnan floor. Design
#: profiles (geo-generic, meo-generic, daylight-1550) need only the diffraction floor.
FLOWN = {"micius", "micius-2021", "jinan-1"}
_MICIUS_BEAM_QUALITY = 10e-6 * DIVERGENCE_CONVENTIONS["fwhm_full"] / min_divergence_half_angle_rad(848.6e-9, 0.15)


def _beam_quality(p) -> float:
    """The space transmitter's 1/e^2 half-angle in units of its Klein-Degnan floor (>= 1)."""
    t = p.transmitter
    floor = min_divergence_half_angle_rad(p.wavelength_m, t.aperture_diameter_m / 2, t.obscuration_ratio)
    return t.divergence_half_angle_rad / floor if t.divergence_half_angle_rad else 1.0


def _physical_problems(name: str, p, text: str) -> list[str]:
    """Every parameter of a profile outside its hardware's physical range, one line each.

    Ranges: efficiencies in (0, 1]; a divergence no narrower than the aperture's diffraction floor
    (and, for a flown satellite, than the flown Micius beam); a coincidence window no longer than
    the pulse period; dark counts below 1e4 /s per detector and 1e-4 per window; a dead time below
    1 us; a field stop no smaller than the receiver's Airy core (1.22 lambda / D half-angle);
    pointing jitter below the beam's half-angle; decoy below signal below 1 photon per pulse; and
    every fitted number naming what it was fitted to, none of them a clock."""
    import math

    out = []
    tx, rx, det = p.transmitter, p.receiver, p.detector
    for where, eff in (("[transmitter] optics_efficiency", tx.optics_efficiency),
                       ("[receiver] optics_efficiency", rx.optics_efficiency),
                       ("[detector] efficiency", det.efficiency)):
        if not 0.0 < eff <= 1.0:
            out.append(f"{where} {eff} outside (0, 1]")
    q = _beam_quality(p)
    if q < 1.0 - 1e-9:
        out.append(f"[transmitter] divergence {q:.2f}x the diffraction floor of its aperture")
    if name in FLOWN and p.direction == "downlink" and q < _MICIUS_BEAM_QUALITY * 0.99:
        out.append(f"[transmitter] beam {q:.2f}x its diffraction floor: better than the flown Micius "
                   f"downlink's {_MICIUS_BEAM_QUALITY:.2f}x")
    rate = p.source.get("rep_rate_hz")
    if rate and det.gate_s > 1.0 / rate * (1 + 1e-9):
        out.append(f"[detector] gate_ns {det.gate_s * 1e9:g} longer than the pulse period "
                   f"{1e9 / rate:g} ns of [source] rep_rate_hz {rate:g}")
    if not 0.0 <= det.dark_cps <= 1e4 or det.dark_cps * det.gate_s > 1e-4:
        out.append(f"[detector] dark_cps {det.dark_cps} implausible")
    if not 0.0 <= det.dead_time_s < 1e-6:
        out.append(f"[detector] dead_time_ns {det.dead_time_s * 1e9:g} implausible")
    ground = p.ground
    if ground.coupling == "multimode" and ground.fov_half_angle_rad is not None:
        airy = 1.22 * p.wavelength_m / ground.aperture_diameter_m
        if ground.fov_half_angle_rad < airy:
            out.append(f"field stop half-angle {ground.fov_half_angle_rad * 1e6:.2f} urad inside the Airy core")
    space = p.space
    if space.divergence_half_angle_rad and space.pointing_jitter_rad >= space.divergence_half_angle_rad:
        out.append("[transmitter] pointing jitter as wide as the beam")
    mu = p.source.get("intensities")
    if mu and not (mu[0] <= 1.0 and all(m < mu[0] for m in mu[1:])):
        out.append(f"[source] intensities {mu}: decoys must sit below a signal of at most 1")
    pr = p.source.get("probabilities")
    if pr and not math.isclose(sum(pr), 1.0, rel_tol=1e-9):
        out.append(f"[source] probabilities {pr} do not sum to 1")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        key, _, comment = line.partition("#")
        for more in lines[i + 1:]:  # a comment continued on indented comment lines
            if not (more.startswith(" ") and more.lstrip().startswith("#")):
                break
            comment += " " + more.lstrip()[1:]
        low = comment.lower()
        if "fitted" not in low.replace("not fitted", "") or "=" not in key:
            continue
        k = key.split("=")[0].strip()
        if k in ("rep_rate_hz", "pulses_per_s"):
            out.append(f"{k} is fitted: a clock is hardware, not a lever")
        if " to " not in comment + " ":
            out.append(f"{k} is fitted without naming what to")
    return out


@pytest.mark.parametrize("name", sorted(list_profiles()))
def test_bundled_profiles_stay_in_physical_ranges(name: str) -> None:
    """Issue 18: no bundled profile holds a parameter outside its hardware's physical range, and
    each fitted number names what it was fitted to."""
    text = (bundled_profile_dir() / f"{name}.toml").read_text()
    assert _physical_problems(name, load_profile(name), text) == []


def test_the_range_check_refuses_the_old_calibrations(tmp_path: Path) -> None:
    """The profiles issue 18 found outside physical ranges, rebuilt from today's files: Jinan-1
    with its fitted 8.6 urad beam from an assumed 0.15 m (1.3x the floor, better than Micius's
    flown 3.0x on a smaller satellite), micius-2021 with a fitted 1 GHz clock under Liao's 2 ns
    window. The check refuses both, naming the parameter."""
    from passplan.link.profiles import read_profile

    assert _MICIUS_BEAM_QUALITY == pytest.approx(3.0, abs=0.02)
    jin = (bundled_profile_dir() / "jinan-1.toml").read_text()
    old = (jin.replace("aperture_diameter_m = 0.20 ", "aperture_diameter_m = 0.15 ", 1)
              .replace("divergence_urad = 15.0 ", "divergence_urad = 8.6 # FITTED to 0.8 Mbit\n#", 1))
    assert old != jin
    f = tmp_path / "jinan-1.toml"
    f.write_text(old)
    (problem,) = _physical_problems("jinan-1", read_profile(f), old)
    assert "beam 1.29x its diffraction floor: better than the flown Micius downlink's 3.01x" in problem
    m21 = (bundled_profile_dir() / "micius-2021.toml").read_text()
    old = m21.replace("rep_rate_hz = 4.0e8 ", "rep_rate_hz = 1.0e9 # FITTED: higher clock rate\n#", 1)
    assert old != m21
    g = tmp_path / "micius-2021.toml"
    g.write_text(old)
    # the window-longer-than-the-period problem this check found is now the loader's refusal
    # (test_loader_refuses_a_coincidence_window_longer_than_the_pulse_period); the other two remain
    with pytest.raises(ConfigError, match=r"\[detector\] gate_ns = 2 is longer than the pulse period 1 ns "
                       r"of \[source\] rep_rate_hz = 1e\+09"):
        read_profile(g)
    one_ns = old.replace("gate_ns = 2.0 ", "gate_ns = 1.0 ", 1)
    assert one_ns != old
    g.write_text(one_ns)
    problems = _physical_problems("micius-2021", read_profile(g), old)
    assert problems == ["rep_rate_hz is fitted: a clock is hardware, not a lever",
                        "rep_rate_hz is fitted without naming what to"]


def test_loader_refuses_a_coincidence_window_longer_than_the_pulse_period(tmp_path: Path) -> None:
    """A coincidence window (``gate_ns``) longer than the pulse period (``1 / rep_rate_hz``) opens on
    two pulses: the loader refuses it naming the file, both keys and the fix, and ``passplan doctor``
    (the schema's cross-key rules) reports the same problem. Equal is allowed; every bundled profile
    loads (test_bundled_profiles_stay_in_physical_ranges)."""
    from passplan import schema
    from passplan.link.profiles import read_profile

    text = (bundled_profile_dir() / "micius.toml").read_text()  # 2 ns window, 100 MHz (10 ns)
    assert "gate_ns = 2.0 " in text and "rep_rate_hz = 1.0e8" in text
    f = tmp_path / "fast.toml"
    f.write_text(text.replace("rep_rate_hz = 1.0e8", "rep_rate_hz = 1.0e9", 1))
    with pytest.raises(ConfigError) as err:
        read_profile(f)
    msg = str(err.value)
    assert msg.startswith(f"{f}: [detector] gate_ns = 2 is longer than the pulse period 1 ns")
    assert "rep_rate_hz = 1e+09" in msg and "shorten gate_ns to at most 1 ns" in msg
    assert "lower rep_rate_hz to at most 5e+08 Hz" in msg
    found = schema.check_file(f, "profile")
    assert any("gate_ns = 2 is longer than the pulse period" in p.message for p in found)
    f.write_text(text.replace("rep_rate_hz = 1.0e8", "rep_rate_hz = 5.0e8", 1))  # period = window
    assert read_profile(f).detector.gate_s == pytest.approx(2e-9)
    assert not any("pulse period" in p.message for p in schema.check_file(f, "profile"))
