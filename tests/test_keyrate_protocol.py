"""Protocol TOML, SERIES.csv and array validation: clear errors naming the key or column."""

from __future__ import annotations

import numpy as np
import pytest

from passplan.errors import ConfigError, InputError, UnknownNameError
from passplan.keyrate import (
    Protocol,
    bundled_protocols,
    load_protocol,
    pass_key,
    pool_passes,
    read_series,
)
from passplan.keyrate.protocol import analysis_label


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bundled_protocols_load():
    names = bundled_protocols()
    assert {"micius", "jinan1"} <= set(names)
    assert load_protocol("micius").intensities == (0.8, 0.1, 0.0)
    with pytest.raises(UnknownNameError, match="micius"):
        load_protocol("micus")


def test_micius2017_is_the_papers_counting_and_micius_passplans_own() -> None:
    """issue 18: the two Micius protocols share the flown source and differ in which bits give
    key (and in the finite-size bounds, both assumed); the analysis is named on every record."""
    own, paper = load_protocol("micius"), load_protocol("micius2017")
    for key in ("pulses_per_s", "intensities", "probabilities", "p_x", "intrinsic_qber",
                "extraneous_click_prob", "f_ec", "eps_sec", "eps_cor", "decoys"):
        assert getattr(own, key) == getattr(paper, key), key
    assert (own.key_bases, own.key_intensities, own.bounds) == ("x", "all", "chernoff")
    assert (paper.key_bases, paper.key_intensities, paper.bounds) == ("both", "signal", "hoeffding")
    assert not paper.optimise
    assert analysis_label("x", "all") == "passplan X basis"
    assert analysis_label("both", "signal") == "both bases, signal bits"
    assert analysis_label("x", "signal") == "X basis, signal bits"


def test_key_fraction_counts_the_key_bearing_sifted_share() -> None:
    """The GLLP rate's q (what track's per-slot key rate uses): p_x^2 for passplan's own
    estimator; both bases add (1 - p_x)^2; signal bits multiply by the signal's probability."""
    own, paper = load_protocol("micius"), load_protocol("micius2017")
    assert own.key_fraction() == 0.25 and own.key_fraction(0.9) == pytest.approx(0.81)
    assert paper.key_fraction() == pytest.approx((0.25 + 0.25) * 0.5)
    biased = Protocol(p_x=0.9, key_bases="both", key_intensities="signal", probabilities=(0.6, 0.3, 0.1))
    assert biased.key_fraction() == pytest.approx((0.81 + 0.01) * 0.6)


def test_tight_chernoff_is_a_protocol_choice(tmp_path):
    p = write(tmp_path, "tight.toml", 'bounds = "chernoff-tight"\n')
    assert Protocol.from_toml(p).bounds == "chernoff-tight"


def test_toml_roundtrip(tmp_path):
    p = write(tmp_path, "p.toml", 'pulses_per_s = 5e8\nintensities = [0.5, 0.1]\n'
              'probabilities = [0.8, 0.2]\ndecoys = 1\nbounds = "hoeffding"\noptimise = false\n')
    pr = Protocol.from_toml(p)
    assert pr.decoys == 1 and pr.pulses_per_s == 5e8 and not pr.optimise


@pytest.mark.parametrize("text,match", [
    ("intensitys = [0.8, 0.1, 0.0]\n", "did you mean 'intensities'"),
    ("intensities = [0.1, 0.8, 0.0]\n", "intensities"),
    ("intensities = [0.5, 0.4, 0.2]\n", "intensities"),
    ("probabilities = [0.5, 0.3, 0.3]\n", "summing to 1"),
    ("eps_sec = 0.0\n", "eps_sec"),
    ("eps_cor = 1.5\n", "eps_cor"),
    ('bounds = "chernof"\n', "chernoff"),
    ("decoys = 3\n", "decoys"),
    ("p_x = 1.0\n", "p_x"),
    ("f_ec = 0.9\n", "f_ec"),
    ("intensities = [0.8, 0.1]\n", "intensities"),
    ("pulses_per_s = [\n", "TOML"),
    # issue 10: an absurd signal intensity is refused by name, not left to a zero key
    ("intensities = [80, 0.1, 0.0]\n", r"'intensities' is \[80\.0, 0\.1, 0\.0\].*at most 10"),
    ("afterpulse_prob = 1.5\n", "afterpulse_prob"),
    ("intrinsic_qber = 0.6\n", "intrinsic_qber"),
    # issue 18: which bits give key is a named choice
    ('key_bases = "z"\n', r"unknown key_bases 'z'.*known: both, x"),
    ('key_intensities = "signals"\n', r"unknown key_intensities 'signals'.*did you mean 'signal'"),
])
def test_toml_errors_name_key_and_file(tmp_path, text, match):
    p = write(tmp_path, "bad.toml", text)
    with pytest.raises((ConfigError, UnknownNameError), match=match) as err:
        Protocol.from_toml(p)
    assert "bad" in str(err.value)


def test_series_reading(tmp_path):
    p = write(tmp_path, "s.csv", "# a comment\nt_s,eta,background_prob\n0,1e-3,1e-7\n1,2e-3,1e-7\n")
    s = read_series(p)
    assert s.eta.tolist() == [1e-3, 2e-3] and s.background_prob is not None


@pytest.mark.parametrize("text,match", [
    ("t_s\n0\n", "missing column 'eta'"),
    ("t_s,eta\n0,1e-3\n1,1.5\n", r"s.csv:3: column 'eta' is 1.5"),
    ("t_s,eta\n0,nan\n", r"s.csv:2: column 'eta'.*NaN"),
    ("t_s,eta\n0,abc\n", r"s.csv:2: column 'eta' is 'abc'"),
    ("t_s,eta\n0,-0.1\n", "transmittance must be in"),
    ("t_s,eta,background_prob\n0,0.1,1.0\n", "background_prob"),
    ("t_s,eta\n1,0.1\n0,0.1\n", r"s.csv:3: column 't_s'"),
    ("t_s,eta\n", "no data"),
])
def test_series_errors_name_line_and_column(tmp_path, text, match):
    p = write(tmp_path, "s.csv", text)
    with pytest.raises(InputError, match=match):
        read_series(p)


@pytest.mark.parametrize("eta,match", [
    ([0.1, np.nan], "'eta' at index 1"),
    ([0.1, 1.2], "'eta' at index 1"),
    ([-1e-3], "'eta' at index 0"),
    ([], "empty"),
])
def test_array_errors(eta, match):
    with pytest.raises(InputError, match=match):
        pass_key(np.array(eta), protocol=Protocol(optimise=False))


def test_array_background_and_time_errors():
    with pytest.raises(InputError, match="background_prob"):
        pass_key([1e-3, 1e-3], [0.0, np.nan])
    with pytest.raises(InputError, match="t_s"):
        pass_key([1e-3, 1e-3, 1e-3], None, [0.0, 1.0, 5.0])


def test_pooling_needs_passes():
    eta = 2e-3 * 10**-1.2 * (500 / np.sqrt(500**2 + (7.6 * np.linspace(-300, 300, 121)) ** 2)) ** 2
    pk = pool_passes([eta, eta, eta, eta])
    assert pk.n_passes == 4
    assert pk.cumulative_key_bits[-1] >= pk.cumulative_key_bits[0]
    assert pk.cumulative_key_bits[0] == 0 and pk.passes_needed == 3  # 12 dB below the example
    assert sum(pk.key_per_pass_bits) == pytest.approx(pk.block.secret_key_bits)
    assert pk.to_dict()["passes_needed"] == pk.passes_needed
    with pytest.raises(InputError, match="pass 1"):
        pool_passes([eta, np.array([np.nan])])


def test_package_names_load_on_first_use():
    """passplan.keyrate is lazy: every public name resolves, to the object of its topic module."""
    import importlib

    import passplan.keyrate as kr

    for name in kr.__all__:
        value = getattr(kr, name)
        module = importlib.import_module(f"passplan.keyrate.{kr._LAZY[name]}")
        assert value is getattr(module, name), name
    assert sorted(dir(kr)) == sorted(kr.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        kr.no_such_name  # noqa: B018
