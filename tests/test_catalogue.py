"""The one catalogue of initialisers: complete, consistent, and checked against torch itself.

Independent references: torch's own ``nn.Linear`` / ``nn.Conv2d`` initialisation for the torch
default (bitwise, float32), and Monte-Carlo variances against each entry's spec
(tests/test_propagate.py, every entry with a layer rule). Here: that every name the package
uses resolves to one entry, and that each entry says everything the sweeps and figures read.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
from torch import nn

from initaudit.models import catalogue, init as I, seeds
from initaudit.models.mlp import Ensemble


def test_at_least_25_entries_with_sources_and_styles():
    entries = catalogue.entries()
    assert len(entries) >= 25
    for e in entries:
        assert e.source.paper, e.name
        assert e.scope in catalogue.SCOPES
        assert e.style.label and re.fullmatch(r"#[0-9A-Fa-f]{6}", e.style.color), e.name
        assert e.style.macro.isalpha(), e.name
        if e.source.commit:
            assert e.source.url, e.name
        json.dumps(e.as_dict())  # JSON-friendly record


def test_public_code_is_cited_with_a_commit():
    for name in ("siren", "siren_port", "sinusoidal", "sinusoidal_paper", "lsuv", "harmonic"):
        src = catalogue.get(name).source
        assert src.url.startswith("https://github.com/") and re.fullmatch(r"[0-9a-f]{40}", src.commit)


def test_every_fully_connected_entry_has_spec_activation_and_layer_rule():
    for name in catalogue.available("linear", layer=True):
        e = catalogue.get(name)
        assert e.spec is not None and e.activation is not None, name
        sp = catalogue.spec(name, 2, 16, 3)
        assert sp.name == name and sp.activation == e.activation
        if e.omega0 is not None:
            assert set(e.frequency) == set(I.ROLES), name


def test_every_name_the_package_uses_is_an_entry():
    from initaudit.analysis import ntk, propagate
    from initaudit.analysis.experiments import (audio_fit, image_fit, poisson, sine_fit,
                                                sinusoidal_classification, spectrum_depth)
    from initaudit.models import classifiers, harmonic, lm

    names = set(catalogue.available())
    used = {
        *sinusoidal_classification.INITS, *classifiers.INIT_NAMES, *poisson.ARMS,
        *sine_fit.INITS, *ntk.DEPTH_POINTS, *spectrum_depth.PAIR, *image_fit.DEFAULT_INITS,
        *audio_fit.DEFAULT_INITS, *harmonic.HARMONIC_INITS, *lm.EMBEDDING_INITS,
        *(i for i, _ in propagate.AUDIT_CASES), *(i for i, _ in ntk.WIDTH_CASES),
    }
    assert used <= names, sorted(used - names)


def test_controls_stay_out_of_the_sweeps_over_every_initialiser():
    own = {"ordered", "chaotic", "edge_of_chaos_orthogonal", "edge_of_chaos_orthogonal_sigma_a1"}
    assert own <= set(catalogue.available(layer=True))
    assert not own & set(I.linear_init_names())
    assert all(catalogue.get(n).control for n in own)
    assert not any(catalogue.get(n).control for n in I.linear_init_names())


def test_styles_differ_within_each_figure_group():
    groups = [
        ("siren", "siren_port", "edge_of_chaos", "edge_of_chaos_sigma_a1", "ordered", "chaotic"),
        tuple(I.linear_init_names()),
        ("torch_default", "orthogonal", "lsuv", "sinusoidal", "sinusoidal_paper"),
    ]
    for group in groups:
        looks = {(catalogue.get(n).style.color, catalogue.get(n).style.linestyle,
                  catalogue.get(n).style.marker) for n in group}
        assert len(looks) == len(group), group
    macros = [e.style.macro for e in catalogue.entries()]
    assert len(set(macros)) == len(macros)


@pytest.mark.parametrize("seed", [0, 7])
def test_torch_default_is_bitwise_torch_linear_and_conv_default(seed):
    """Reference: torch's own reset_parameters from the global generator (float32, bitwise)."""
    torch.manual_seed(seed)
    ref = nn.Linear(37, 11)
    ours = nn.Linear(37, 11)
    I.init_linear_(ours, "torch_default", generator=torch.Generator().manual_seed(seed))
    assert torch.equal(ref.weight, ours.weight) and torch.equal(ref.bias, ours.bias)
    torch.manual_seed(seed)
    conv = nn.Conv2d(3, 5, 3)
    # torch draws the bias after the weight from the same stream; fan_in = 3 * 3 * 3
    g = torch.Generator().manual_seed(seed)
    w = I.torch_default_(torch.empty_like(conv.weight), generator=g)
    b = I.torch_default_bias_(torch.empty(5), 27, generator=g)
    assert torch.equal(conv.weight, w) and torch.equal(conv.bias, b)


def test_harmonic_entry_is_the_layer_rule_of_harmonic_mlp():
    from initaudit.models import harmonic as H

    layer = H.HarmonicLayer(12, 6, 1.0, 3.0, generator=torch.Generator().manual_seed(3))
    lin = nn.Linear(12, 6)
    catalogue.get("harmonic").fn(lin, layer.frequencies, generator=torch.Generator().manual_seed(3))
    assert torch.equal(lin.weight, layer.linear.weight) and torch.equal(lin.bias, layer.linear.bias)
    assert catalogue.get("harmonic").scope == "layer" and catalogue.get("lsuv").scope == "model"


def test_tensor_rule_refuses_layer_and_model_scopes():
    for name in ("lsuv", "harmonic"):
        with pytest.raises(ValueError, match="not one tensor; valid names are .*siren"):
            catalogue.tensor_rule(name)
    assert catalogue.tensor_rule("siren") is I.siren_


def test_spec_and_lookups_refuse_bad_input():
    with pytest.raises(ValueError, match="unknown initializer 'lecun'; valid names are"):
        catalogue.get("lecun")
    with pytest.raises(ValueError, match="has no mean-field spec; valid names are"):
        catalogue.spec("lsuv", 2, 8, 2)
    with pytest.raises(ValueError, match="omega0 applies only to .*siren"):
        catalogue.spec("xavier_uniform", 2, 8, 2, omega0=30.0)
    with pytest.raises(ValueError, match="valid layer kinds are"):
        catalogue.available("dense")
    with pytest.raises(ValueError, match="no rule for fully connected layers"):
        catalogue.default_activation("emb_random")


def test_one_builder_draws_rule_or_spec_and_replaces_the_first_layer():
    ens, sp = Ensemble.draw("siren", 2, 16, 3, 4, seed=5, dtype="float64")
    ref = Ensemble.from_init("siren", 2, 16, 3, 4, "sin", None,
                             seeds.torch_generator(5, seeds.STREAM_INIT), torch.float64)
    assert all(torch.equal(a, b) for a, b in zip(ens.weights, ref.weights))
    one, _ = Ensemble.draw("siren", 2, 16, 3, 1, seed=5, keys=(0,), dtype="float64")
    assert not torch.equal(one.weights[1][0], ens.weights[1][0])  # a child stream of its own
    assert sp == catalogue.spec("siren", 2, 16, 3)
    g, gsp = Ensemble.draw("siren", 2, 16, 3, 4, law="normal", seed=5, dtype="float64")
    assert gsp.convention == "normal" and g.spec is gsp
    rep, rsp = Ensemble.draw("sinusoidal", 2, 16, 3, 4, first_layer="omega0", omega0=12.0)
    assert rep.n_networks == 4 and rep.spec is rsp
    # the spec describes the replaced first layer: U(+-12/2) has variance 12^2/(3 * 2^2) per
    # weight, sigma_w0^2 = 12^2 / (3 * 2) in the spec's units, drawn uniform, no bias
    assert rsp.first.sigma_w2 == pytest.approx(24.0) and rsp.first.sigma_b2 == 0.0
    assert rsp.first_law == "uniform" and rsp.hidden == catalogue.spec("sinusoidal", 2, 16, 3).hidden
    assert float(rep.weights[0].abs().max()) <= 12.0 / 2
    assert torch.equal(rep.weights[1][0], rep.weights[1][3])  # deterministic hidden layers shared
    with pytest.raises(ValueError, match="valid laws are"):
        Ensemble.draw("siren", 2, 16, 3, 1, law="student")
