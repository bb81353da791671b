"""The public API refuses input outside its domain, as torch.nn.init does.

A bad value raises ValueError, a bad type TypeError, and the message names the argument and
what is valid. Each guarded function also keeps its value at the edge of its domain; those values
are derived here by hand (closed forms), not taken from the functions under test.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from initaudit.models import embeddings as E
from initaudit.models import harmonic as H
from initaudit.models import init as I
from initaudit.theory import meanfield as mf
from initaudit.theory import sine

INF, NAN = math.inf, math.nan
Q = r"q must be a finite number >= 0"
C = r"c must be a finite number in \[-1, 1\]"
SW = r"sigma_w2 must be a finite number >= 0"
SB = r"sigma_b2 must be a finite number >= 0"
GAIN = r"gain must be a finite number, got"
GAIN_NONNEG = r"gain must be a finite number >= 0"


def _w(dtype=torch.float32):
    return torch.zeros(4, 3, dtype=dtype)


def _b(dtype=torch.float32):
    return torch.zeros(4, dtype=dtype)


def _int_linear():
    layer = nn.Linear(3, 2)
    layer.weight = nn.Parameter(torch.zeros(2, 3, dtype=torch.int64), requires_grad=False)
    return layer


# (id, call, exception, message pattern)
_VALUE_CASES = [
    # theory.meanfield: variances >= 0 and finite, correlations in [-1, 1]
    ("q_map q=-1", lambda: mf.q_map(-1, 1.0, 0.0), ValueError, Q + r" \(a variance\), got -1"),
    ("q_map q=nan", lambda: mf.q_map(NAN, 1.0, 0.0), ValueError, Q),
    ("q_map q=inf", lambda: mf.q_map(INF, 1.0, 0.0, law="gaussian"), ValueError, Q),
    ("q_map q array", lambda: mf.q_map(np.array([0.5, -1e-3]), 1.0, 0.0), ValueError,
     Q + r".* every entry, got -0.001"),
    ("q_map q str", lambda: mf.q_map("1", 1.0, 0.0), TypeError, Q + r".*of type str"),
    ("q_map sigma_w2<0", lambda: mf.q_map(1.0, -1.0, 0.0), ValueError, SW),
    ("q_map sigma_b2<0", lambda: mf.q_map(1.0, 1.0, -0.1, law="gaussian"), ValueError, SB),
    ("q_map sigma_b2=inf", lambda: mf.q_map(1.0, 1.0, INF), ValueError, SB),
    ("chi q=-1", lambda: mf.chi(-1, 1.0), ValueError, Q),
    ("chi sigma_w2=nan", lambda: mf.chi(1.0, NAN), ValueError, SW),
    ("chi sigma_b2<0", lambda: mf.chi(1.0, 1.0, sigma_b2=-1.0), ValueError, SB),
    ("q_map_slope q=-1", lambda: mf.q_map_slope(-1.0, 1.0), ValueError, Q),
    ("q_map_slope h=0", lambda: mf.q_map_slope(1.0, 1.0, "relu", h=0.0), ValueError,
     r"h must be a positive finite number"),
    ("c_map c=1.5", lambda: mf.c_map(1.5, 1.0, 1.0, 0.0), ValueError, C + r" \(a correlation\)"),
    ("c_map c<-1", lambda: mf.c_map(-1.01, 1.0, 1.0, 0.0), ValueError, C),
    ("c_map c=nan", lambda: mf.c_map(NAN, 1.0, 1.0, 0.0), ValueError, C),
    ("c_map c None", lambda: mf.c_map(None, 1.0, 1.0, 0.0), TypeError, C),
    ("c_map q=-1", lambda: mf.c_map(0.5, -1.0, 1.0, 0.0), ValueError, Q),
    ("c_map_slope c>1", lambda: mf.c_map_slope(1.0001, 1.0, 1.0, 0.0), ValueError, C),
    ("c_map_slope q<0", lambda: mf.c_map_slope(0.5, -1.0, 1.0, 0.0), ValueError, Q),
    ("correlation_fixed_point q*<0", lambda: mf.correlation_fixed_point(-1.0, 2.0, 0.0),
     ValueError, r"q_star must be a finite number >= 0"),
    ("layer_expectations sigma_b2<0", lambda: mf.layer_expectations("sin", -1.0), ValueError, SB),
    ("depth_scale nan", lambda: mf.depth_scale(NAN), ValueError,
     r"slope must be a real number \(any sign, not NaN\)"),
    ("depth_scale str", lambda: mf.depth_scale("0.5"), TypeError, r"slope must be a real number"),
    # theory.sine.siren_reference_point: width an integer >= 1 (not bool), omega0 > 0 finite
    ("siren_reference_point 2.5", lambda: sine.siren_reference_point(2.5), ValueError,
     r"width must be a positive integer, got 2.5"),
    ("siren_reference_point True", lambda: sine.siren_reference_point(True), ValueError,
     r"width must be a positive integer, got True"),
    ("siren_reference_point 0", lambda: sine.siren_reference_point(0), ValueError,
     r"width must be a positive integer, got 0"),
    ("siren_reference_point omega0<0", lambda: sine.siren_reference_point(4, -30.0), ValueError,
     r"omega0 must be a positive finite number"),
    ("siren_reference_point omega0=inf", lambda: sine.siren_reference_point(4, INF), ValueError,
     r"omega0 must be a positive finite number"),
    # models.init: gains and scales
    ("orthogonal_ gain=inf", lambda: I.orthogonal_(_w(), gain=INF), ValueError, GAIN + " inf"),
    ("orthogonal_ gain=nan", lambda: I.orthogonal_(_w(), gain=NAN), ValueError, GAIN),
    ("orthogonal_ gain str", lambda: I.orthogonal_(_w(), gain="1"), TypeError, GAIN),
    ("xavier_uniform_ gain<0", lambda: I.xavier_uniform_(_w(), gain=-1.0), ValueError, GAIN_NONNEG),
    ("xavier_uniform_ gain=inf", lambda: I.xavier_uniform_(_w(), gain=INF), ValueError, GAIN_NONNEG),
    ("xavier_normal_ gain<0", lambda: I.xavier_normal_(_w(), gain=-0.5), ValueError, GAIN_NONNEG),
    ("xavier_normal_ gain=nan", lambda: I.xavier_normal_(_w(), gain=NAN), ValueError, GAIN_NONNEG),
    ("kaiming_uniform_ a=inf", lambda: I.kaiming_uniform_(_w(), a=INF), ValueError,
     r"a must be a finite number"),
    ("kaiming_normal_ a=nan", lambda: I.kaiming_normal_(_w(), a=NAN), ValueError,
     r"a must be a finite number"),
    ("sinusoidal_ gain=inf", lambda: I.sinusoidal_(_w(), gain=INF), ValueError, GAIN),
    ("sinusoidal_ gain None", lambda: I.sinusoidal_(_w(), gain=None), TypeError, GAIN),
    ("edge_of_chaos_bias_ c_b<0", lambda: I.edge_of_chaos_bias_(_b(), -1.0), ValueError,
     r"c_b must be a finite number >= 0"),
    ("edge_of_chaos_bias_ c_b=inf", lambda: I.edge_of_chaos_bias_(_b(), INF), ValueError,
     r"c_b must be a finite number >= 0"),
    ("siren_ omega0=inf", lambda: I.siren_(_w(), INF), ValueError,
     r"omega0 must be a positive finite number"),
    ("siren_first_ omega0=0", lambda: I.siren_first_(_w(), 0.0), ValueError,
     r"omega0 must be a positive finite number"),
    ("edge_of_chaos_ c_w=0", lambda: I.edge_of_chaos_(_w(), 0.0), ValueError,
     r"c_w must be a positive finite number"),
    ("edge_of_chaos_orthogonal_ c_w=inf", lambda: I.edge_of_chaos_orthogonal_(_w(), INF),
     ValueError, r"c_w must be a positive finite number"),
    ("siren_port_ w0=nan", lambda: I.siren_port_(_w(), NAN), ValueError,
     r"w0 must be a positive finite number"),
]

# Every in-place initialiser of models/ on a tensor that is not floating point.
_WEIGHT_INITS = [I.xavier_uniform_, I.xavier_normal_, I.kaiming_uniform_, I.kaiming_normal_,
                 I.orthogonal_, I.torch_default_, I.siren_first_, I.siren_, I.siren_port_first_,
                 I.siren_port_, I.edge_of_chaos_first_, I.edge_of_chaos_,
                 I.edge_of_chaos_sigma_a1_, I.edge_of_chaos_orthogonal_, I.sinusoidal_,
                 I.sinusoidal_paper_]
_BIAS_INITS = [("torch_default_bias_", lambda b: I.torch_default_bias_(b, 3)),
               ("siren_bias_", lambda b: I.siren_bias_(b, 3)),
               ("siren_port_bias_", lambda b: I.siren_port_bias_(b, 3)),
               ("edge_of_chaos_bias_", lambda b: I.edge_of_chaos_bias_(b, 0.5))]
_EMBEDDING_INITS = [(name, fn) for name, fn in E._STRATEGIES.items()] + [
    ("emb_sinusoidal", E.sinusoidal_embedding_), ("emb_edge_of_chaos", E.edge_of_chaos_embedding_)]


def _dtype_cases():
    need = r"needs a floating-point tensor, got "
    out = []
    for fn in _WEIGHT_INITS:
        out.append((f"{fn.__name__} int64", (lambda fn=fn: fn(_w(torch.int64))), TypeError,
                    fn.__name__ + " " + need + r"torch\.int64"))
    for name, call in _BIAS_INITS:
        out.append((f"{name} int32", (lambda call=call: call(_b(torch.int32))), TypeError,
                    name + " " + need + r"torch\.int32"))
    for name, fn in _EMBEDDING_INITS:
        out.append((f"{name} int64", (lambda fn=fn: fn(torch.zeros(16, 8, dtype=torch.int64))),
                    TypeError, fn.__name__ + " " + need + r"torch\.int64"))
    out += [
        ("sinusoidal_ bool", lambda: I.sinusoidal_(_w(torch.bool)), TypeError,
         r"sinusoidal_ needs a floating-point tensor, got torch\.bool"),
        ("sinusoidal_ complex", lambda: I.sinusoidal_(_w(torch.complex64)), TypeError,
         r"sinusoidal_ needs a floating-point tensor, got torch\.complex64"),
        ("init_linear_ int weight", lambda: I.init_linear_(_int_linear(), "sinusoidal"), TypeError,
         r"sinusoidal_ needs a floating-point tensor, got torch\.int64"),
        ("harmonic_linear_ int64", lambda: H.harmonic_linear_(_int_linear(), torch.ones(2)),
         TypeError, r"harmonic_linear_ needs a floating-point tensor, got torch\.int64"),
        ("xavier_uniform_ ndarray", lambda: I.xavier_uniform_(np.zeros((4, 3))), TypeError,
         r"xavier_uniform_ needs a floating-point torch\.Tensor, got ndarray"),
    ]
    return out


_CASES = _VALUE_CASES + _dtype_cases()


@pytest.mark.parametrize("call,exc,message", [c[1:] for c in _CASES], ids=[c[0] for c in _CASES])
def test_out_of_domain_input_raises_naming_the_argument_and_the_valid_range(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_integer_tensor_is_left_untouched():
    w = torch.arange(12, dtype=torch.int64).reshape(4, 3)
    with pytest.raises(TypeError):
        I.sinusoidal_(w)
    with pytest.raises(TypeError):
        E.harmonic_(w)
    assert torch.equal(w, torch.arange(12, dtype=torch.int64).reshape(4, 3))


# ---------------------------------------------------------------------------------------------
# The edge of each domain still gives the value derived by hand.

def _eq(got, want, rel=1e-12, abs_=1e-15):
    got = float(got)
    assert math.isfinite(got) or got == want
    assert got == pytest.approx(want, rel=rel, abs=abs_)


def _uniform_sin2(c):
    # E sin^2 B for B ~ U(-c, c): 1/2 - sin(2c) / (4c)
    return 0.5 - math.sin(2 * c) / (4 * c)


_BOUNDARY = [
    # q = 0: E sin^2(0) = 0, E cos^2(0) = 1
    ("q_map q=0", lambda: mf.q_map(0.0, 1.7, 0.0), 0.0),
    ("q_map q=0 gaussian bias", lambda: mf.q_map(0, 1.7, 0.3, law="gaussian"), 0.3),
    ("q_map q=sigma_b2 exact", lambda: mf.q_map(0.3, 1.7, 0.3),
     1.7 * _uniform_sin2(math.sqrt(0.9)) + 0.3),
    ("q_map sigma_w2=0", lambda: mf.q_map(0.8, 0.0, 0.25, law="gaussian"), 0.25),
    ("chi q=0", lambda: mf.chi(0.0, 1.7), 1.7),
    ("chi q=0 gaussian", lambda: mf.chi(0, 2.0, law="gaussian"), 2.0),
    ("q_map_slope q=0", lambda: mf.q_map_slope(0.0, 1.7), 1.7),
    ("c_map c=1", lambda: mf.c_map(1.0, 0.7, 1.3, 0.2, law="gaussian"), 1.0),
    # sin is odd: E sin(u) sin(-u) = -E sin^2 u, so c = -1 maps to -1 without a bias
    ("c_map c=-1", lambda: mf.c_map(-1.0, 0.7, 1.3, 0.0, law="gaussian"), -1.0),
    # Price: q E[cos u cos v] / E[sin^2 u] at c = 1 = q (1 + e^{-2q}) / (1 - e^{-2q}) = q coth q
    ("c_map_slope c=1", lambda: mf.c_map_slope(1.0, 1.0, 1.3, 0.0, law="gaussian"),
     1.0 / math.tanh(1.0)),
    ("correlation_fixed_point q*=0", lambda: mf.correlation_fixed_point(0.0, 2.0, 0.0), 1.0),
    ("layer_expectations sigma_b2=0", lambda: mf.layer_expectations("sin", 0.0).f2(0.0), 0.0),
    ("depth_scale -1", lambda: mf.depth_scale(-1), math.inf),
    ("depth_scale 1", lambda: mf.depth_scale(1.0), math.inf),
    ("depth_scale 0", lambda: mf.depth_scale(0), 0.0),
    ("depth_scale -0.5", lambda: mf.depth_scale(-0.5), 1.0 / math.log(2.0)),
    ("depth_scale inf", lambda: mf.depth_scale(math.inf), math.inf),
    ("siren_reference_point 1 c_b", lambda: sine.siren_reference_point(1)[1], 30.0),
    ("siren_reference_point np.int64 c_b", lambda: sine.siren_reference_point(np.int64(4))[1], 15.0),
    ("siren_reference_point c_w", lambda: sine.siren_reference_point(256)[0], math.sqrt(6.0)),
]


@pytest.mark.parametrize("call,want", [c[1:] for c in _BOUNDARY], ids=[c[0] for c in _BOUNDARY])
def test_theory_at_the_edge_of_its_domain_keeps_its_closed_form(call, want):
    _eq(call(), want)


def test_vectorised_maps_still_accept_arrays_at_the_edge():
    q = np.array([0.0, 0.5, 2.0])
    np.testing.assert_allclose(mf.q_map(q, 2.0, 0.0, law="gaussian"), 1.0 - np.exp(-2 * q),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mf.chi(q, 2.0, law="gaussian"), 1.0 + np.exp(-2 * q), rtol=1e-12)
    c = np.array([-1.0, 0.0, 1.0])
    got = mf.c_map(c, 0.7, 1.3, 0.0, law="gaussian")
    # E sin u sin v = e^{-q} sinh(c q); E sin^2 u = (1 - e^{-2q}) / 2
    want = np.exp(-0.7) * np.sinh(c * 0.7) / ((1 - np.exp(-1.4)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def _gen():
    return torch.Generator().manual_seed(1234)


def test_gains_at_the_edge_of_their_domain():
    # orthogonal_: any finite gain, W = g Q; a huge finite gain stays finite in float64.
    q = I.orthogonal_(torch.empty(5, 5, dtype=torch.float64), gain=1.0, generator=_gen())
    big = I.orthogonal_(torch.empty(5, 5, dtype=torch.float64), gain=1e300, generator=_gen())
    assert torch.isfinite(big).all()
    torch.testing.assert_close(big / 1e300, q, rtol=1e-14, atol=0)
    neg = I.orthogonal_(torch.empty(5, 5), gain=-2.0, generator=_gen())
    pos = I.orthogonal_(torch.empty(5, 5), gain=2.0, generator=_gen())
    assert torch.equal(neg, -pos)
    # xavier_*: gain 0 is the zero matrix.
    assert torch.equal(I.xavier_uniform_(torch.ones(4, 3), gain=0.0), torch.zeros(4, 3))
    assert torch.equal(I.xavier_normal_(torch.ones(4, 3), gain=0, generator=_gen()),
                       torch.zeros(4, 3))
    # kaiming_*: the gain sqrt(2 / (1 + a^2)) is even in a.
    for fn in (I.kaiming_uniform_, I.kaiming_normal_):
        assert torch.equal(fn(torch.empty(4, 3), a=-1.0, generator=_gen()),
                           fn(torch.empty(4, 3), a=1.0, generator=_gen()))
    # sinusoidal_: W is linear in the gain.
    g = 1.3
    assert torch.equal(I.sinusoidal_(torch.empty(4, 5), gain=-g), -I.sinusoidal_(torch.empty(4, 5), gain=g))
    assert torch.equal(I.sinusoidal_(torch.ones(4, 5), gain=0.0), torch.zeros(4, 5))
    # edge_of_chaos_bias_: c_b = 0 is the zero bias.
    assert torch.equal(I.edge_of_chaos_bias_(torch.ones(4), 0.0), torch.zeros(4))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_every_floating_dtype_is_still_accepted(dtype):
    # var(W) = g^2 / fan_in for sinusoidal_ (float64: exact to rounding).
    w = I.sinusoidal_(torch.empty(6, 5, dtype=dtype), gain=1.5)
    assert w.dtype == dtype and torch.isfinite(w).all()
    if dtype == torch.float64:
        assert float(w.var()) * 5 == pytest.approx(1.5 ** 2, rel=1e-12)
    e = E.harmonic_(torch.empty(16, 8, dtype=dtype))
    assert e.dtype == dtype and torch.isfinite(e).all() and bool((e != 0).any())
    lin = nn.Linear(3, 2).to(dtype)
    H.harmonic_linear_(lin, torch.ones(2, dtype=dtype))
    assert torch.isfinite(lin.weight).all() and float(lin.weight.detach().abs().max()) <= 1 / math.sqrt(3) + 1e-2


@settings(max_examples=50, deadline=None)
@given(st.floats(max_value=0.0, exclude_max=True, allow_nan=False),
       st.sampled_from(["exact", "gaussian"]))
def test_q_map_refuses_every_negative_q(q, law):
    with pytest.raises(ValueError, match=Q):
        mf.q_map(q, 1.0, 0.0, law=law)
