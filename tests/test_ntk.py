"""Empirical NTK: structured vs generic paths, preconditioners, parameter groups, spectra, theory.

Tolerances (STYLE.md, tier by tier):

* exact algebra in float64: the structured path, the two torch.func paths and an independent
  reference (one ``torch.autograd.grad`` per point and output) compute the same sums in different
  orders; they agree to 1e-10 relative to the kernel's largest entry (observed ~1e-15);
* float32 against float64: 1e-4 relative (a few hundred roundings of eps32 = 1.2e-7 per entry);
* PSD: eigenvalues >= -1e-10 * max (float64 rounding of a P x P eigh is ~P eps ||K||);
* Monte-Carlo vs theory (width convergence): ``E dist^2 = A/N + B/N^2`` (O(1/sqrt N)
  fluctuations plus the O(1/N) first-layer and bias terms that Theta/N keeps), so the local
  log-log slope lies in [-1, -1/2]. Each mean over 4 networks has a relative standard error of
  about 10% (measured: 3-10%), so a slope over a 16x width range is known to
  ~sqrt(2) * 0.1 / ln 16 = 0.05; three of those give the accepted band [-1.15, -0.35]. Gaussian
  laws are used so that the Gaussian theory is the exact limit (with uniform laws and 2-D inputs
  the first layer is not Gaussian at any width and the distance levels off; see the slow test).
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from initaudit.analysis import ntk
from initaudit.analysis.propagate import sample_inputs
from initaudit.models import catalogue
from initaudit.models.mlp import build_mlp
from initaudit.theory import spec as tspec

F64 = torch.float64

# torch's first forward-mode AD call loads decompositions through torch.jit.script, which warns
# (inside torch, nothing this package can change).
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning")


# ---------------------------------------------------------------------------------------------
# helpers


def _net(activation="sin", d_in=3, width=16, depth=3, d_out=1, seed=1, dtype=F64):
    sp = tspec.sine_uniform(d_in, width, depth, 2.0, 0.5).with_(activation=activation, d_out=d_out)
    return build_mlp(sp, torch.Generator().manual_seed(seed), dtype)


def _x(p=10, d=3, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(p, d, generator=g, dtype=dtype) * 2 - 1)


def _reference(model, x, params=None, precond=None, output_fn=None):
    """J P J^T from one autograd.grad per point and output: (P, P, k, k)."""
    named = dict(model.named_parameters())
    names = ntk.select_parameters(model, params)
    rows = []
    for p in range(x.shape[0]):
        y = model(x[p:p + 1])
        if output_fn is not None:
            y = output_fn(y)
        y = y.reshape(-1)
        per_out = []
        for a in range(y.numel()):
            grads = torch.autograd.grad(y[a], [named[n] for n in names], retain_graph=True,
                                        allow_unused=True)
            per_out.append(torch.cat([(torch.zeros_like(named[n]) if g is None else g).reshape(-1)
                                      for n, g in zip(names, grads)]))
        rows.append(torch.stack(per_out))
    jac = torch.stack(rows).detach()  # (P, k, n)
    scale = torch.cat([(torch.as_tensor(precond[n], dtype=jac.dtype).expand(named[n].shape)
                        if precond and n in precond else torch.ones_like(named[n])).reshape(-1)
                       for n in names]).detach()
    return torch.einsum("pan,n,qbn->pqab", jac, scale, jac)


def _rel(a, b):
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return float((a - b).abs().max() / b.abs().max())


def _as(theta, output):
    """The (P, P, k, k) reference in the layout of ``output``."""
    if output == "full":
        return theta
    if output == "trace":
        return torch.diagonal(theta, dim1=2, dim2=3).sum(-1)
    return torch.diagonal(theta, dim1=2, dim2=3)


# ---------------------------------------------------------------------------------------------
# structured == generic == reference


@pytest.mark.parametrize("activation", ["sin", "relu", "tanh"])
@pytest.mark.parametrize("d_out", [1, 3])
def test_structured_jacobian_jvp_agree(activation, d_out):
    net, x = _net(activation, d_out=d_out), _x()
    ref = _reference(net, x)
    for output in ("full", "trace", "diagonal"):
        want = _as(ref, output)
        for method in ("structured", "jacobian", "jvp"):
            got = ntk.empirical_ntk(net, x, method=method, output=output, chunk_size=3,
                                    block_size=4)
            assert got.shape == want.shape, (method, output)
            assert _rel(got, want) < 1e-10, (method, output)
    auto = ntk.empirical_ntk(net, x)
    assert auto.shape == ((10, 10) if d_out == 1 else (10, 10, d_out, d_out))


def test_diagonal_only_matches_kernel_diagonal():
    net, x = _net(d_out=2), _x()
    full = ntk.empirical_ntk(net, x, output="full")
    for method in ("structured", "jacobian"):
        d = ntk.ntk_diagonal(net, x, method=method, output="full", chunk_size=4)
        assert _rel(d, torch.diagonal(full, dim1=0, dim2=1).permute(2, 0, 1)) < 1e-10
        tr = ntk.ntk_diagonal(net, x, method=method, output="trace")
        assert _rel(tr, torch.diagonal(ntk.empirical_ntk(net, x, output="trace"))) < 1e-10


def test_ntk_symmetric_psd():
    for activation in ("sin", "relu", "tanh"):
        theta = ntk.empirical_ntk(_net(activation, width=32, depth=4), _x(40))
        assert torch.equal(theta, theta.T)
        ev = torch.linalg.eigvalsh(theta)
        assert ev.min() >= -1e-10 * ev.max()


def test_float32_close_to_float64():
    net64, x = _net(width=64, depth=4), _x(20)
    net32 = copy.deepcopy(net64).float()
    t64 = ntk.empirical_ntk(net64, x)
    t32 = ntk.empirical_ntk(net32, x.float())
    assert t32.dtype == torch.float32
    assert _rel(t32.double(), t64) < 1e-4


def test_flop_count_matches_execution():
    net, x = _net(width=24, depth=3), _x(37)
    for output in ("trace", "full"):
        net_k = _net(width=24, depth=3, d_out=2)
        for model in (net, net_k):
            _, flops = ntk._structured(model, x, ntk.select_parameters(model), {},
                                       ntk._resolve_output(output, 1 if model is net else 2), 8,
                                       False)
            assert flops == ntk.structured_flops(model, 37, output, block_size=8)["total"]


# ---------------------------------------------------------------------------------------------
# other modules: batch norm, registered activations, a transformer-like toy


def _bn_chain():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 8),
                          nn.GELU(approximate="tanh"), nn.Dropout(0.2),
                          nn.BatchNorm1d(8, affine=False),
                          nn.Sequential(nn.SiLU(), nn.Linear(8, 2)))
    model = model.double()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                if m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
    return model


def test_eval_batchnorm_chain_structured():
    model, x = _bn_chain(), _x()
    with pytest.raises(ValueError, match="eval"):
        ntk.empirical_ntk(model, x, method="structured")
    model.eval()
    assert ntk.supports_structured(model)
    ref = _reference(model, x)
    assert _rel(ntk.empirical_ntk(model, x, method="structured", output="full"), ref) < 1e-10


class _Harmonic(nn.Module):
    """A fixed harmonic activation sin(z) + sin(2z)/2 (a stand-in for HarmonicMLP's)."""

    def forward(self, z):
        return torch.sin(z) + 0.5 * torch.sin(2 * z)


class _Harmonic2(_Harmonic):
    pass


def test_registered_elementwise_activation():
    model = nn.Sequential(nn.Linear(3, 12), _Harmonic(), nn.Linear(12, 12), _Harmonic2(),
                          nn.Linear(12, 1)).double()
    x = _x()
    assert not ntk.supports_structured(model)
    ntk.register_elementwise(_Harmonic)  # derivative by forward-mode autodiff
    ntk.register_elementwise(_Harmonic2, lambda m, z: torch.cos(z) + torch.cos(2 * z))
    try:
        got = ntk.empirical_ntk(model, x, method="structured")
        assert _rel(got, _reference(model, x)[:, :, 0, 0]) < 1e-10
    finally:
        ntk._REGISTERED.pop(_Harmonic, None)
        ntk._REGISTERED.pop(_Harmonic2, None)


class _ToyLM(nn.Module):
    """Embedding, one causal self-attention block (written out: nn.MultiheadAttention's fused
    eval-mode kernel has no forward-mode AD, which the jvp method needs), layer norm, readout."""

    def __init__(self, vocab=11, dim=8):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        h = self.embedding(tokens)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        t = tokens.shape[-1]
        mask = torch.ones(t, t, dtype=torch.bool, device=h.device).tril()
        att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        return self.head(self.norm(h + att @ v))


def _toy():
    torch.manual_seed(0)
    model = _ToyLM().double().eval()
    tokens = torch.randint(0, 11, (6, 5), generator=torch.Generator().manual_seed(1))
    return model, tokens


def test_parameter_group_on_toy_transformer():
    model, tokens = _toy()
    last = lambda y: y[:, -1, :3]  # noqa: E731 - three logits of the last position
    ref = _reference(model, tokens, params=["embedding"], output_fn=last)
    frozen = copy.deepcopy(model)
    for n, p in frozen.named_parameters():
        p.requires_grad_(n == "embedding.weight")
    for method in ("jacobian", "jvp"):
        got = ntk.empirical_ntk(model, tokens, method=method, params=["embedding.weight"],
                                output="full", output_fn=last, chunk_size=4)
        assert _rel(got, ref) < 1e-10
        via_frozen = ntk.empirical_ntk(frozen, tokens, method=method, output="full",
                                       output_fn=last)
        assert _rel(via_frozen, got) < 1e-12
    # auto picks the generic path for a non-chain
    emb = ntk.empirical_ntk(model, tokens, params="embedding", output_fn=last)
    assert emb.shape == (6, 6, 3, 3)
    # the embedding's share is part of the whole kernel: the rest is PSD too
    full = ntk.empirical_ntk(model, tokens, output="trace", output_fn=last)
    part = ntk.empirical_ntk(model, tokens, params="embedding", output="trace", output_fn=last)
    ev = torch.linalg.eigvalsh(full - part)
    assert ev.min() >= -1e-10 * ev.max()


def test_parameter_group_equals_frozen_model_structured():
    net, x = _net(), _x()
    group = ["2.weight", "4"]
    frozen = copy.deepcopy(net)
    keep = set(ntk.select_parameters(net, group))
    assert keep == {"2.weight", "4.weight", "4.bias"}
    for n, p in frozen.named_parameters():
        p.requires_grad_(n in keep)
    got = ntk.empirical_ntk(net, x, params=group)
    assert _rel(ntk.empirical_ntk(frozen, x), got) < 1e-12
    assert _rel(got, _reference(net, x, params=group)[:, :, 0, 0]) < 1e-10
    pred = ntk.empirical_ntk(net, x, params=lambda n, p: n in keep)
    assert torch.equal(pred, got)


# ---------------------------------------------------------------------------------------------
# preconditioners


def test_preconditioner_ones_is_plain():
    net, x = _net(d_out=2), _x()
    ones = {n: 1.0 for n, _ in net.named_parameters()}
    for method in ("structured", "jacobian", "jvp"):
        plain = ntk.empirical_ntk(net, x, method=method)
        assert _rel(ntk.empirical_ntk(net, x, method=method, preconditioner=ones), plain) < 1e-14


def test_preconditioner_per_layer_scalars_is_weighted_sum():
    net, x = _net(), _x()
    layers = sorted({n.split(".")[0] for n, _ in net.named_parameters()})
    weights = {layer: 0.5 + i for i, layer in enumerate(layers)}
    precond = {n: weights[n.split(".")[0]] for n, _ in net.named_parameters()}
    # per-layer kernels computed independently (Jacobian contraction restricted to each layer)
    want = sum(w * ntk.empirical_ntk(net, x, method="jacobian", params=[layer])
               for layer, w in weights.items())
    for method in ("structured", "jacobian", "jvp"):
        assert _rel(ntk.empirical_ntk(net, x, method=method, preconditioner=precond), want) < 1e-10


def test_preconditioner_rows_and_general():
    net, x = _net(d_out=2), _x()
    g = torch.Generator().manual_seed(3)
    rows = {}
    for n, p in net.named_parameters():
        rows[n] = (torch.rand(p.shape[0], 1, generator=g, dtype=F64) if p.dim() == 2
                   else torch.rand(p.shape, generator=g, dtype=F64))
    rows["2.weight"] = torch.outer(torch.rand(16, generator=g, dtype=F64),
                                   torch.rand(16, generator=g, dtype=F64))  # rank one
    ref = _reference(net, x, precond=rows)
    for method in ("structured", "jacobian", "jvp"):
        got = ntk.empirical_ntk(net, x, method=method, preconditioner=rows, output="full")
        assert _rel(got, ref) < 1e-10, method
    general = {"2.weight": torch.rand(16, 16, generator=g, dtype=F64)}
    with pytest.raises(ValueError, match="rank"):
        ntk.empirical_ntk(net, x, method="structured", preconditioner=general)
    ref = _reference(net, x, precond=general)
    for method in ("jacobian", "jvp"):
        got = ntk.empirical_ntk(net, x, method=method, preconditioner=general, output="full")
        assert _rel(got, ref) < 1e-10


# ---------------------------------------------------------------------------------------------
# matrix-free operator and spectra


def test_operator_matches_dense_and_lanczos():
    net, x = _net(d_out=2, width=24), _x(30)
    dense = ntk.empirical_ntk(net, x, output="full")
    mat = dense.permute(0, 2, 1, 3).reshape(60, 60).numpy()
    op = ntk.ntk_operator(net, x, chunk_size=7)
    v = np.random.default_rng(0).standard_normal(60)
    assert np.abs(op @ v - mat @ v).max() < 1e-10 * np.abs(mat @ v).max()
    top = ntk.spectrum_summary(op, top_k=5, trace=float(np.trace(mat)))
    full = ntk.spectrum_summary(dense)
    assert np.allclose(top.eigenvalues, full.eigenvalues[:5], rtol=1e-9)
    assert math.isclose(top.mean, full.mean, rel_tol=1e-12)


def test_summary_of_diagonal_matrix_is_exact():
    vals = np.array([8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125, 0.0625])
    s = ntk.spectrum_summary(np.diag(vals[::-1]), fit_range=(1, None))
    assert s.complete and s.method == "eigh"
    assert np.array_equal(s.eigenvalues, vals)
    assert s.mean == vals.mean() and s.max == 8.0 and s.min == 0.0625
    assert s.condition_number == 128.0
    p = vals / vals.sum()
    assert math.isclose(s.effective_rank, math.exp(-np.sum(p * np.log(p))), rel_tol=1e-14)
    assert math.isclose(s.participation_ratio, vals.sum() ** 2 / np.sum(vals**2), rel_tol=1e-14)
    # lambda_i = 8 * 2^-(i-1) is exponential, not a power law; a pure power law fits exactly:
    i = np.arange(1, 51)
    pl = ntk.spectrum_summary(np.diag(3.0 * i**-1.5), fit_range=(1, 50))
    assert math.isclose(pl.decay_exponent, 1.5, rel_tol=1e-12) and pl.fit_hi == 50


def test_summary_of_rank_one_matrix():
    v = np.arange(1.0, 7.0)
    s = ntk.spectrum_summary(np.outer(v, v))
    assert math.isclose(s.max, v @ v, rel_tol=1e-14)
    assert math.isclose(s.mean, v @ v / 6, rel_tol=1e-14)
    assert abs(s.min) <= 1e-13 * s.max
    assert s.condition_number == pytest.approx(1.0 / (6 * np.finfo(float).eps), rel=1e-12)
    assert s.effective_rank == pytest.approx(1.0, abs=1e-12)
    assert s.participation_ratio == pytest.approx(1.0, rel=1e-14)
    assert s.fit_hi == 1 and math.isnan(s.decay_exponent)  # nothing above the floor to fit


def test_lanczos_top_k_equals_eigh():
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((600, 900)) * (np.arange(1, 901) ** -0.7)
    mat = feats @ feats.T
    full = ntk.spectrum_summary(mat)
    top = ntk.spectrum_summary(mat, top_k=20, method="lanczos")
    assert top.method == "lanczos" and not top.complete
    assert np.allclose(top.eigenvalues, full.eigenvalues[:20], rtol=1e-10)
    assert top.mean == full.mean and top.participation_ratio == full.participation_ratio
    assert math.isnan(top.min) and math.isnan(top.effective_rank)


# ---------------------------------------------------------------------------------------------
# infinite width


def _width_distances(init, act, widths, seeds=4, depth=3, points=16):
    res = ntk.width_sweep(init, act, depth, widths, n_seeds=seeds, n_points=points,
                          convention="normal", use_cache=False)
    return res["summary"], res["fit"].iloc[0]


def test_width_convergence_rate_fast():
    summ, fit = _width_distances("edge_of_chaos_sigma_a1", "sin", (64, 256, 1024))
    assert np.all(np.diff(summ.distance) < 0)
    assert -1.15 <= fit.exponent <= -0.35, summ
    # the mean eigenvalue itself agrees with the prediction at the largest width
    top = summ.iloc[-1]
    assert abs(top.measured_mean / top.predicted_mean - 1) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("case", [("edge_of_chaos_sigma_a1", "sin"), ("edge_of_chaos", "sin"),
                                  ("kaiming_uniform", "relu")])
def test_width_convergence_rate_slow(case):
    summ, fit = _width_distances(*case, (64, 256, 1024, 4096), seeds=8, depth=4, points=32)
    assert -1.0 - 0.15 <= fit.exponent <= -0.5 + 0.15, summ
    assert summ.distance.iloc[-1] < 0.15


@pytest.mark.slow
def test_uniform_laws_converge_to_the_exact_law_and_level_off_against_the_gaussian():
    """With the registry's uniform laws and 2-D inputs the distance to the exact-law NTK keeps
    falling like N^-1/2 (0.37, 0.17, 0.09 at N = 256, 1024, 4096), while the distance to the
    Gaussian-law NTK levels off (0.44, 0.29, 0.26): the floor is the Gaussian law's error, not
    the network's. A N^-1/2 decay gives a factor 0.5 per fourfold width."""
    res = ntk.width_sweep("edge_of_chaos", "sin", 4, (256, 1024, 4096), n_seeds=8,
                          n_points=32, convention=None, use_cache=False)
    d = res["summary"].distance.to_numpy()
    dg = res["summary"].distance_gaussian.to_numpy()
    assert d[-1] < 0.6 * d[-2] and d[-2] < 0.6 * d[-3]
    assert dg[-1] > 0.8 * dg[-2]


def test_theory_distance_and_vector_outputs():
    sp = catalogue.spec("kaiming_uniform", 2, 512, 2, "relu", d_out=2).with_(convention="normal")
    net = build_mlp(sp, torch.Generator().manual_seed(0), F64)
    x = sample_inputs(12, 2, 0)
    theta = ntk.empirical_ntk(net, x)
    assert theta.shape == (12, 12, 2, 2)
    d_vec = ntk.theory_distance(theta, sp, x)
    d_one = ntk.theory_distance(theta[:, :, 0, 0], sp, x)
    assert 0 < d_vec < 0.5 and 0 < d_one < 0.5


def test_depth_sweep_cached_and_close_to_theory(cache_tmp):
    from initaudit.analysis import cache

    kw = dict(points=("ordered", "edge_of_chaos_sigma_a1"), depths=(2, 4), width=512, n_seeds=4,
              n_points=32)
    table = ntk.depth_sweep(**kw)
    assert cache.STATS.computed == 4 and cache.STATS.hits == 0
    again = ntk.depth_sweep(**kw)
    assert cache.STATS.hits == 4
    assert table.equals(again)
    assert {"point", "depth", "width", "seed", "measured", "predicted", "sigma_g2",
            "distance"} <= set(table.columns)
    summ = ntk.depth_summary(table)
    assert len(summ) == 4
    # Uniform laws with 2-D inputs keep an O(1) first-layer difference from the Gaussian theory
    # that depends on the input set (up to ~8% here), plus O(L/N) terms and the noise of a
    # 4-network mean: 10%. The slow width tests check the convergence itself.
    assert np.all(np.abs(summ.measured / summ.predicted - 1) < 0.10), summ


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input_messages():
    net, x = _net(), _x()
    with pytest.raises(ValueError, match="valid methods are auto, structured, jacobian, jvp"):
        ntk.empirical_ntk(net, x, method="exact")
    with pytest.raises(ValueError, match="valid outputs are auto, full, trace, diagonal"):
        ntk.empirical_ntk(net, x, output="mean")
    with pytest.raises(ValueError, match="valid names are 0.weight, 0.bias, 2.weight"):
        ntk.empirical_ntk(net, x, params=["2.wieght"])
    with pytest.raises(ValueError, match="empty"):
        ntk.empirical_ntk(net, x, params=lambda n, p: False)
    with pytest.raises(ValueError, match="not a selected parameter; valid names are 2.weight"):
        ntk.empirical_ntk(net, x, params=["2"], preconditioner={"0.weight": 2.0})
    with pytest.raises(ValueError, match="does not broadcast"):
        ntk.empirical_ntk(net, x, preconditioner={"2.weight": torch.ones(3)})
    with pytest.raises(ValueError, match="finite"):
        ntk.empirical_ntk(net, x, preconditioner={"2.bias": float("nan")})
    with pytest.raises(ValueError, match=r"shape \(P, 3\)"):
        ntk.empirical_ntk(net, _x(d=2))
    with pytest.raises(ValueError, match="LayerNorm.*supported modules: nn.Linear"):
        ntk.empirical_ntk(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1)).double(),
                          x, method="structured")
    with pytest.raises(ValueError, match="nn.Sequential"):
        ntk.empirical_ntk(_ToyLM(), torch.zeros(2, 3, dtype=torch.long), method="structured")
    with pytest.raises(ValueError, match="output_fn needs the generic path"):
        ntk.empirical_ntk(net, x, method="structured", output_fn=lambda y: y)
    with pytest.raises(ValueError, match="chunk_size"):
        ntk.empirical_ntk(net, x, method="jacobian", chunk_size=0)
    with pytest.raises(ValueError, match="not symmetric"):
        ntk.spectrum_summary(np.triu(np.ones((4, 4))))
    with pytest.raises(ValueError, match="square"):
        ntk.spectrum_summary(np.ones((3, 4)))
    with pytest.raises(ValueError, match="exceeds"):
        ntk.spectrum_summary(np.eye(4), top_k=5)
    with pytest.raises(ValueError, match="valid methods are auto, eigh, lanczos"):
        ntk.eigenvalues(np.eye(4), method="qr")
    with pytest.raises(ValueError, match="valid depth points are ordered, edge_of_chaos"):
        ntk.depth_sweep(points=("critical",), use_cache=False)
    with pytest.raises(ValueError, match="kernel shapes differ"):
        ntk.relative_distance(torch.eye(3), 10, np.eye(4))


# ---------------------------------------------------------------------------------------------
# command line


def test_cli_ntk_json(capsys):
    from initaudit.figures.cli import main

    assert main(["ntk", "--init", "edge_of_chaos_sigma_a1", "--depth", "3", "--width", "64",
                 "--points", "24", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"meta", "spectrum", "theory"}
    assert out["spectrum"]["n"] == 24 and out["spectrum"]["complete"]
    assert out["theory"]["predicted_mean"] > 0 and 0 < out["theory"]["distance"] < 1
    for method in ("jacobian", "jvp"):
        assert main(["ntk", "--init", "edge_of_chaos_sigma_a1", "--depth", "3", "--width", "64",
                     "--points", "24", "--method", method, "--json"]) == 0
        other = json.loads(capsys.readouterr().out)
        assert other["spectrum"]["mean"] == pytest.approx(out["spectrum"]["mean"], rel=1e-10)


def test_cli_ntk_text_and_errors(capsys):
    from initaudit.figures.cli import main

    assert main(["ntk", "--init", "kaiming_uniform", "--depth", "2", "--width", "32", "--points",
                 "16", "--top-k", "4", "--d-in", "3"]) == 0
    text = capsys.readouterr().out
    assert "lanczos" in text and "predicted mean eigenvalue" in text
    assert main(["ntk", "--init", "sinusoidal", "--depth", "2", "--width", "32", "--points",
                 "8"]) == 0
    assert "deterministic" in capsys.readouterr().out
    for argv, match in (
        (["--init", "nope"], "valid names are edge_of_chaos"),
        (["--init", "siren", "--method", "exact"], "invalid choice"),
        (["--init", "xavier_uniform", "--omega0", "3"], "omega0 applies only"),
        (["--init", "siren", "--top-k", "16"], "--top-k must be smaller"),
    ):
        base = ["ntk", "--depth", "2", "--width", "16", "--points", "16"]
        assert main(base + argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("initaudit: error:") and match in err and "\n" not in err
