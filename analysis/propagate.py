r"""Monte-Carlo signal propagation through ensembles of finite networks, compared with theory.

An :class:`models.mlp.Ensemble` holds S independent networks as batched tensors; every layer is
one ``torch.baddbmm`` (forward) or ``torch.bmm`` (backward) over all networks and inputs, with no
Python loop over networks. The networks are the independent replicates: every standard error
below is over networks (for a deterministic initializer, S = 1, it is over inputs instead).

Measured per network s, input p and layer l = 1..L (network ``z_1 = W_0 x + b_0``,
``h_l = f(z_l)``, ``z_{l+1} = W_l h_l + b_l``, ``y = z_{L+1}``):

``q``
    ``|z_l|^2 / N``: the second moment of the pre-activations over units. Its expectation over
    weights is the mean-field ``q_l`` (the pre-activations have mean 0, so this is their
    variance; it is not centred by the sample mean, which would bias it by O(1/N)).
``chi``
    The mean squared singular value of the layer Jacobian ``D_l = dz_{l+1}/dz_l =
    W_l diag(f'(z_l))`` (shape ``N_{l+1} x N_l``), averaged over the ``N_{l+1}`` directions of
    the space the back-propagated gradient lives in::

        chi_l = tr(D_l D_l^T) / N_{l+1} = ||W_l diag(f'(z_l))||_F^2 / N_{l+1}
              = sum_j f'(z_{l,j})^2 (sum_i W_{l,ij}^2) / N_{l+1}.

    This is the exact ratio ``E_v |D_l^T v|^2 / |v|^2`` for an isotropic back-propagated
    gradient ``v = delta_{l+1}``, i.e. ``E|delta_l|^2 / |delta_{l+1}|^2`` (the backward
    direction), and its expectation over ``W_l`` is ``sigma_w^2 mean_j f'(z_{l,j})^2``, the
    theory's ``chi = sigma_w^2 E[f'(z)^2]`` (:func:`theory.meanfield.chi`). Dividing by the
    fan-in instead would give the same number for square hidden layers but not for the readout
    (``N_{L+1} = d_out``), where the theory's chi_L uses the readout's sigma_w^2. Computed
    exactly in O(S P N) from the column norms of ``W_l``; :func:`chi_random_projection` is an
    independent Hutchinson estimate used to check it.
``grad_norm2``
    ``|dy_u/dz_l|^2`` with ``y_u = u . y`` for a unit output direction u (the exact gradient of
    y for a scalar output, ``d_out = 1``; a seeded random unit vector per network and input
    otherwise): back-propagated as ``delta_{L+1} = u``, ``delta_l = f'(z_l) * (W_l^T
    delta_{l+1})``. The theory's cumulative ratio gives ``E|delta_l|^2 = prod_{m=l}^{L} chi_m``
    (with :attr:`theory.meanfield.DepthProfile.log_grad_ratio`,
    ``log_grad_ratio[L] - log_grad_ratio[l-1]``).

Predictions come from :func:`theory.predict.predict` for each input with the spec's layer
variances (``W_0 .. W_L``), then averaged over the inputs like the measurements.
:func:`models.catalogue.spec` gives the spec of every catalogue initializer.

The comparison (:func:`compare`) is one tidy DataFrame with a row per (init, activation, depth,
width, layer, network or "pooled", quantity) and columns ``measured``, ``se``, ``predicted``
(the infinite-width theory under the laws the network draws, ``law="exact"``),
``z = (measured - predicted) / se``, and ``predicted_gaussian``, ``z_gaussian`` for the textbook
Gaussian mean field. The two differ where the network is not Gaussian at any width: (ii) with
few input dimensions (d = 2) ``z_1 = W_0 x + b_0`` is a sum of d + 1 terms and not Gaussian for
uniform laws, and (iii) a uniform bias of O(1) variance keeps ``z_l`` a Gaussian plus a uniform
(:mod:`theory.laws`). What is left against the exact law is (i) the O(1/N) finite-width
correction, growing with depth, and noise. :func:`width_sweep` measures the width dependence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from initaudit.models import catalogue, seeds
from initaudit.models.mlp import (Ensemble, activation_derivative, activation_fn,
                                  dtype_from_name, linear_init_names)
from initaudit.theory import progress
from initaudit.theory import spec as tspec
from initaudit.theory.predict import predict  # noqa: F401 - re-exported
from initaudit.theory.checks import choice, positive_int
from initaudit.models.device import resolve_device
from initaudit.analysis.experiment import cell_runner

__all__ = [
    "run_cell",
    "AUDIT_CASES", "D_IN", "MC_ACTIVATIONS", "QUANTITIES", "Measurement",
    "JacobianConfig", "PropagationConfig", "build_ensemble", "chi_random_projection", "compare",
    "fit_power_law", "jacobian_spectrum", "measure", "mc_inits",
    "monte_carlo_grid", "predict", "propagation_table", "run_config",
    "run_jacobian_cell", "sample_inputs", "width_cells", "width_summary", "width_sweep",
]

#: Measured quantities, in table order.
QUANTITIES = ("q", "chi", "grad_norm2")
#: The activations the Monte-Carlo sweeps use.
MC_ACTIVATIONS = ("sin", "relu", "tanh")
#: The initializers the Monte-Carlo figures and tests audit, each with the activation it is for:
#: the three sine inits, and the Xavier/tanh and He/relu baselines.
AUDIT_CASES = (("siren", "sin"), ("edge_of_chaos", "sin"), ("edge_of_chaos_sigma_a1", "sin"),
               ("xavier_uniform", "tanh"), ("kaiming_uniform", "relu"))
#: Default input dimension (coordinate networks: 2-D images).
D_IN = 2
#: Bytes of stored activations derivatives per chunk of networks (bounds memory at paper scale).
_CHUNK_BYTES = 2 << 30


def mc_inits() -> list[str]:
    """Every registered initializer that applies to fully connected layers (sorted)."""
    return linear_init_names()


# ---------------------------------------------------------------------------------------------
# Inputs and theory


def sample_inputs(n_points: int, d_in: int = D_IN, seed: int = 0) -> np.ndarray:
    """``n_points`` inputs uniform on [-1, 1]^d (float64), drawn from replicate ``seed``'s
    points stream (:func:`initaudit.models.seeds.numpy_rng` ``(seed, STREAM_POINTS)``)."""
    for what, val in (("n_points", n_points), ("d_in", d_in)):
        positive_int(val, what)
    rng = seeds.numpy_rng(seed, seeds.STREAM_POINTS)
    return rng.uniform(-1.0, 1.0, size=(int(n_points), int(d_in)))


# ---------------------------------------------------------------------------------------------
# Measurement


@dataclass(frozen=True)
class Measurement:
    """Raw Monte-Carlo statistics, float64 numpy arrays of shape (S, P, L).

    Attributes:
        q: ``|z_l|^2 / N_l`` per network, input and layer.
        chi: ``||W_l diag f'(z_l)||_F^2 / N_{l+1}``.
        grad_norm2: ``|dy_u/dz_l|^2``.
    """

    q: np.ndarray
    chi: np.ndarray
    grad_norm2: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return getattr(self, choice(name, QUANTITIES, "quantity"))


def _as_input(ens: Ensemble, x) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"inputs must be a numpy array or torch tensor, got {type(x).__name__}")
    return x.to(device=ens.device, dtype=ens.dtype)


def _directions(ens: Ensemble, n_points: int, seed: int) -> torch.Tensor:
    """Unit output directions u, (S, P, d_out): all ones for a scalar output."""
    s, d_out = ens.n_networks, ens.d_out
    if d_out == 1:
        return torch.ones(s, n_points, 1, dtype=ens.dtype, device=ens.device)
    g = seeds.torch_generator(seed, seeds.STREAM_DIRECTIONS)
    u = torch.randn(s, n_points, d_out, generator=g, dtype=torch.float64)
    return (u / u.norm(dim=-1, keepdim=True)).to(device=ens.device, dtype=ens.dtype)


def _measure_chunk(ens: Ensemble, x: torch.Tensor, u: torch.Tensor) -> tuple[np.ndarray, ...]:
    f = activation_fn(ens.activation)
    fprime = activation_derivative(ens.activation)
    depth = ens.depth
    h = ens._check_input(x)
    q, chi, derivs = [], [], []
    with torch.no_grad():
        for l in range(depth):
            z = ens.layer(l, h)
            q.append(torch.sum(z * z, dim=-1, dtype=torch.float64) / z.shape[-1])
            d = fprime(z)
            derivs.append(d)
            # ||W_l diag(d)||_F^2 = sum_j d_j^2 colsq_j: one bmm of (S, P, N_l) by (S, N_l, 1).
            w_next = ens.weights[l + 1]
            colsq = torch.sum(w_next * w_next, dim=1, dtype=torch.float64)  # (S, N_l)
            chi.append(torch.bmm((d.double() ** 2), colsq.unsqueeze(-1)).squeeze(-1)
                       / ens.weights[l + 1].shape[1])
            h = f(z)
        delta = u
        grads = [None] * depth
        for l in range(depth, 0, -1):
            # delta_l = f'(z_l) * (W_l^T delta_{l+1}); as row vectors: delta_{l+1} @ W_l.
            delta = torch.bmm(delta, ens.weights[l]) * derivs[l - 1]
            grads[l - 1] = torch.sum(delta * delta, dim=-1, dtype=torch.float64)
    stack = lambda ts: torch.stack(ts, dim=-1).cpu().numpy()  # noqa: E731
    return stack(q), stack(chi), stack(grads)


def measure(ens: Ensemble, x, *, direction_seed: int = 0,
            chunk_networks: int | None = None) -> Measurement:
    """Monte-Carlo q, chi and squared gradient norms of every network, input and layer.

    One forward pass (``baddbmm`` per layer) and one backward pass (``bmm`` per layer) over all
    networks at once; networks are processed in chunks only to bound the memory of the stored
    ``f'(z_l)`` (``chunk_networks``, default: as many as fit in 2 GiB).

    Args:
        ens: the ensemble.
        x: inputs (P, d_in), shared by all networks (numpy or torch).
        direction_seed: replicate of the random unit output directions, drawn from its
            ``STREAM_DIRECTIONS`` (used only when d_out > 1).
        chunk_networks: networks per chunk.

    Returns:
        A :class:`Measurement`.
    """
    x = _as_input(ens, x)
    if x.dim() != 2 or x.shape[1] != ens.d_in:
        raise ValueError(f"inputs must have shape (P, {ens.d_in}), got {tuple(x.shape)}")
    n_points = x.shape[0]
    u = _directions(ens, n_points, direction_seed)
    if chunk_networks is None:
        per_net = n_points * ens.width * ens.depth * torch.finfo(ens.dtype).bits // 8
        chunk_networks = max(1, _CHUNK_BYTES // max(per_net, 1))
    parts = []
    for start in progress.steps(range(0, ens.n_networks, chunk_networks),
                                -(-ens.n_networks // chunk_networks), "network chunks"):
        idx = slice(start, min(start + chunk_networks, ens.n_networks))
        parts.append(_measure_chunk(ens.select(idx), x, u[idx]))
    q, chi, grad = (np.concatenate([p[i] for p in parts], axis=0) for i in range(3))
    return Measurement(q=q, chi=chi, grad_norm2=grad)


def chi_random_projection(ens: Ensemble, x, n_probes: int = 64,
                          generator: torch.Generator | None = None) -> np.ndarray:
    """Hutchinson estimate of chi_l: ``mean_k |D_l^T v_k|^2`` with ``v_k ~ N(0, I/N_{l+1})``.

    ``E|D^T v|^2 = tr(D D^T)/N_{l+1}`` exactly, with variance ``2 tr((D D^T)^2)/(N_{l+1}^2 K)``
    for K probes; an independent check of the trace formula of :func:`measure`.

    Returns:
        Array (S, P, L).
    """
    x = _as_input(ens, x)
    f = activation_fn(ens.activation)
    fprime = activation_derivative(ens.activation)
    h = ens._check_input(x)
    s, p = h.shape[0], h.shape[1]
    out = []
    with torch.no_grad():
        for l in range(ens.depth):
            z = ens.layer(l, h)
            w = ens.weights[l + 1]
            n_next = w.shape[1]
            v = torch.randn(s, p, n_probes, n_next, generator=generator, dtype=torch.float64)
            v = (v / math.sqrt(n_next)).to(device=ens.device, dtype=ens.dtype)
            # (S, P*K, N_{l+1}) @ (S, N_{l+1}, N_l) then scale by f'(z_l).
            proj = torch.bmm(v.reshape(s, p * n_probes, n_next), w).reshape(s, p, n_probes, -1)
            proj = proj * fprime(z).unsqueeze(2)
            out.append(torch.sum(proj.double() ** 2, dim=-1).mean(dim=-1))
            h = f(z)
    return torch.stack(out, dim=-1).cpu().numpy()


# ---------------------------------------------------------------------------------------------
# Comparison table


def _pooled(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-layer mean and standard error over replicates, and per-network means and spread.

    ``values`` is (S, P, L). With S >= 2 the replicates are the networks (means over inputs
    first); with S = 1 (a deterministic network) they are the inputs.
    """
    s, p, _ = values.shape
    per_net = values.mean(axis=1)  # (S, L)
    if s >= 2:
        mean = per_net.mean(axis=0)
        sd = per_net.std(axis=0, ddof=1)
        return mean, sd / math.sqrt(s), per_net, sd
    mean = values[0].mean(axis=0)
    se = values[0].std(axis=0, ddof=1) / math.sqrt(p) if p >= 2 else np.full_like(mean, np.nan)
    return mean, se, per_net, np.full_like(mean, np.nan)


def compare(meas: Measurement, pred: dict[str, np.ndarray], *, per_network: bool = True,
            meta: dict | None = None,
            pred_gaussian: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Tidy comparison of a :class:`Measurement` with a :func:`predict` result.

    Rows: for every quantity and layer, one ``network="pooled"`` row (``measured`` the mean over
    networks and inputs, ``se`` its standard error over networks) and, with ``per_network``,
    one row per network (``network`` its index; ``measured`` its mean over inputs; ``se`` the
    standard deviation over networks, i.e. the spread of a single replicate). ``predicted`` is
    the theory averaged over the same inputs and ``z = (measured - predicted) / se``.

    For S = 1 (deterministic initializer) the pooled standard error is over the P inputs, and
    the per-network row has ``se`` and ``z`` NaN.

    Args:
        meas: the measurement.
        pred: the prediction (arrays (P, L)), :func:`predict` under the exact law.
        per_network: include per-network rows.
        meta: constant columns to add (init, activation, depth, width, ...).
        pred_gaussian: optional :func:`predict` result under ``law="gaussian"``, giving the
            columns ``predicted_gaussian`` and ``z_gaussian`` (NaN without it).

    Returns:
        DataFrame with columns ``[*meta, layer, network, quantity, measured, se, predicted, z,
        predicted_gaussian, z_gaussian]``.
    """
    meta = dict(meta or {})
    frames = []
    for qty in QUANTITIES:
        values = meas[qty]
        s, _, n_layers = values.shape
        predicted = pred[qty].mean(axis=0)
        gauss = (pred_gaussian[qty].mean(axis=0) if pred_gaussian is not None
                 else np.full(n_layers, np.nan))
        mean, se, per_net, sd = _pooled(values)
        layers = np.arange(1, n_layers + 1)
        rows = [("pooled", mean, se)]
        if per_network:
            rows += [(k, per_net[k], sd) for k in range(s)]
        for net, val, err in rows:
            with np.errstate(divide="ignore", invalid="ignore"):
                frames.append(pd.DataFrame({
                    "layer": layers, "network": [net] * n_layers, "quantity": qty,
                    "measured": val, "se": err, "predicted": predicted,
                    "z": (val - predicted) / err, "predicted_gaussian": gauss,
                    "z_gaussian": (val - gauss) / err}))
    table = pd.concat(frames, ignore_index=True)
    table["network"] = table["network"].astype(object)
    for i, (key, val) in enumerate(meta.items()):
        table.insert(i, key, val)
    return table


@dataclass(frozen=True)
class PropagationConfig:
    """One Monte-Carlo cell: an initializer at one (activation, depth, width).

    Attributes:
        init: catalogue name (:func:`mc_inits`), or ``"spec:<name>"`` to draw from the
            :func:`models.catalogue.spec` spec instead (same variances, the spec's own laws).
        activation: f.
        depth: L, activated layers.
        width: N.
        n_networks: S independent networks (1 for deterministic inits).
        n_inputs: P inputs uniform on [-1, 1]^d.
        d_in: input dimension d.
        omega0: frequency for the sine inits (None: the source's default).
        seed: the replicate; the networks come from its weight stream
            (:mod:`initaudit.models.seeds`).
        input_seed: replicate of the inputs (its points stream; shared by every cell, so inits see
            the same inputs).
        dtype: "float32" or "float64".
        convention: for ``spec:`` cells, override the spec's law ("uniform" or "normal").
        per_network: also return one row per network (see :func:`compare`).
        log_grad: also return the network-to-network variance of ``log |dy/dz_l|^2`` against
            its finite-width prediction (:func:`log_grad_rows`).
    """

    init: str
    activation: str
    depth: int
    width: int
    n_networks: int = 8
    n_inputs: int = 32
    d_in: int = D_IN
    omega0: float | None = None
    seed: int = 0
    input_seed: int = 0
    dtype: str = "float32"
    convention: str | None = None
    per_network: bool = False
    log_grad: bool = False


def build_ensemble(cfg: PropagationConfig, device=None) -> tuple[Ensemble, tspec.NetworkSpec]:
    """The ensemble and spec of one cell (:meth:`models.mlp.Ensemble.draw`)."""
    from_spec = cfg.init.startswith("spec:")
    name = cfg.init[5:] if from_spec else cfg.init
    if cfg.convention is not None and not from_spec:
        raise ValueError("convention applies only to 'spec:<name>' cells (the catalogue "
                         "initializers draw from their own laws)")
    law = (cfg.convention or "spec") if from_spec else None
    ens, sp = Ensemble.draw(name, cfg.d_in, cfg.width, cfg.depth, cfg.n_networks,
                            activation=cfg.activation, omega0=cfg.omega0, law=law,
                            seed=cfg.seed, dtype=cfg.dtype, device=device)
    return ens, sp


def run_config(cfg: PropagationConfig, per_network: bool | None = None,
               device=None) -> pd.DataFrame:
    """Measure one cell and compare it with theory (see :func:`compare` for the columns).

    ``per_network`` (default ``cfg.per_network``) adds one row per network.
    """
    per_network = cfg.per_network if per_network is None else per_network
    dtype_from_name(cfg.dtype)
    device = resolve_device(device)
    ens, sp = build_ensemble(cfg, device)
    x = sample_inputs(cfg.n_inputs, cfg.d_in, cfg.input_seed)
    meas = measure(ens, x, direction_seed=cfg.seed)
    meta = {"init": cfg.init, "activation": cfg.activation, "depth": cfg.depth,
            "width": cfg.width, "n_networks": ens.n_networks, "n_inputs": cfg.n_inputs,
            "seed": cfg.seed, "dtype": cfg.dtype}
    table = compare(meas, predict(sp, x), per_network=per_network, meta=meta,
                    pred_gaussian=predict(sp, x, law="gaussian"))
    if cfg.log_grad:
        table = pd.concat([table, log_grad_rows(meas, sp, x, meta)], ignore_index=True)
    return table


def log_grad_rows(meas: Measurement, spec, x, meta: dict | None = None) -> pd.DataFrame:
    """Rows of quantity ``log_grad_var``: per layer l, the variance over networks of
    ``log |dy/dz_l|^2`` at each input, averaged over the inputs (``measured``), against
    :func:`theory.finite_width.log_grad_variance` averaged the same way (``predicted``).

    ``se`` is the jackknife standard error over networks of that input-averaged variance (the
    inputs share their networks, so their variances are correlated; leaving one network out at a
    time keeps the correlation). ``predicted_gaussian`` is NaN (the finite-width terms are
    derived under the laws drawn only).
    """
    from initaudit.theory.finite_width import log_grad_variance

    lg = np.log(np.asarray(meas.grad_norm2, dtype=np.float64))  # (S, P, L)
    s = lg.shape[0]
    if s < 3:
        raise ValueError(f"the jackknife of the variance of log |dy/dz|^2 needs at least 3 "
                         f"networks, got {s}")
    measured = lg.var(axis=0, ddof=1).mean(axis=0)  # (L,)
    # leave-one-out variances from the sums, per network, input and layer
    total, total2 = lg.sum(axis=0), (lg ** 2).sum(axis=0)
    mean_loo = (total[None] - lg) / (s - 1)
    var_loo = ((total2[None] - lg ** 2) - (s - 1) * mean_loo ** 2) / (s - 2)
    stat_loo = var_loo.mean(axis=1)  # (S, L): the input-averaged variance without network i
    err = np.sqrt((s - 1) / s * np.sum((stat_loo - stat_loo.mean(axis=0)) ** 2, axis=0))
    pred = np.mean([log_grad_variance(spec, xp)["total"] for xp in np.asarray(x)], axis=0)
    table = pd.DataFrame({"layer": np.arange(1, lg.shape[2] + 1), "network": "pooled",
                          "quantity": "log_grad_var", "measured": measured, "se": err,
                          "predicted": pred, "z": (measured - pred) / err,
                          "predicted_gaussian": np.nan, "z_gaussian": np.nan})
    table["network"] = table["network"].astype(object)
    for i, (key, val) in enumerate(dict(meta or {}).items()):
        table.insert(i, key, val)
    return table


def propagation_table(init: str, depth: int, width: int, n_networks: int = 8,
                      activation: str | None = None, *, n_inputs: int = 32, d_in: int = D_IN,
                      omega0: float | None = None, seed: int = 0, input_seed: int = 0,
                      dtype: str = "float32", per_network: bool = True,
                      device=None) -> pd.DataFrame:
    """Measure one initializer at one (depth, width) and compare with theory.

    Args:
        init: catalogue name (:func:`mc_inits`) or ``"spec:<name>"``.
        depth, width, n_networks, n_inputs, d_in, omega0, seed, input_seed, dtype: see
            :class:`PropagationConfig`.
        activation: default :func:`models.catalogue.default_activation`.
        per_network: include one row per network besides the pooled rows.
        device: torch device (default: cuda when available).

    Returns:
        The tidy table of :func:`compare`.
    """
    name = init[5:] if init.startswith("spec:") else init
    activation = activation or catalogue.default_activation(name)
    cfg = PropagationConfig(init=init, activation=activation, depth=depth, width=width,
                            n_networks=n_networks, n_inputs=n_inputs, d_in=d_in, omega0=omega0,
                            seed=seed, input_seed=input_seed, dtype=dtype)
    return run_config(cfg, per_network=per_network, device=device)


def monte_carlo_grid(inits: Sequence[str] | None = None,
                     activations: Sequence[str] = MC_ACTIVATIONS,
                     depths: Sequence[int] = (4, 8, 16, 32),
                     widths: Sequence[int] = (64, 256, 1024),
                     n_networks: int = 8, n_inputs: int = 32, *, seed: int = 0,
                     dtype: str = "float32", use_cache: bool = True) -> pd.DataFrame:
    """Pooled comparison rows for every (init, activation, depth, width) of a grid.

    Each cell is a :class:`PropagationConfig` computed through :func:`analysis.cache.cached`,
    so an interrupted sweep resumes where it stopped.

    Args:
        inits: catalogue names (default: every initializer for fully connected layers).
        activations, depths, widths: the grid.
        n_networks, n_inputs, seed, dtype: per cell.
        use_cache: go through the result cache.

    Returns:
        One table (pooled rows only).
    """
    from initaudit.analysis.cache import cached

    inits = list(inits) if inits is not None else mc_inits()
    frames = []
    for init in inits:
        for act in activations:
            for depth in depths:
                for width in widths:
                    cfg = PropagationConfig(init=init, activation=act, depth=int(depth),
                                            width=int(width), n_networks=n_networks,
                                            n_inputs=n_inputs, seed=seed, dtype=dtype)
                    frames.append(cached(cfg, run_config) if use_cache else run_config(cfg))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Width dependency


def fit_power_law(n, dev) -> dict[str, float]:
    """Least-squares fit ``log dev = a + b log n``.

    Returns:
        ``{"exponent": b, "exponent_se": se(b), "prefactor": exp(a), "n_points": k}``; the
        standard error is the usual OLS one, ``sqrt(RSS / (k - 2) / sum (log n - mean)^2)``
        (NaN for fewer than 3 points).
    """
    n = np.asarray(n, dtype=np.float64)
    dev = np.asarray(dev, dtype=np.float64)
    ok = np.isfinite(dev) & (dev > 0) & (n > 0)
    x, y = np.log(n[ok]), np.log(dev[ok])
    k = len(x)
    if k < 2:
        return {"exponent": np.nan, "exponent_se": np.nan, "prefactor": np.nan, "n_points": k}
    xc = x - x.mean()
    b = float(np.sum(xc * (y - y.mean())) / np.sum(xc**2))
    a = float(y.mean() - b * x.mean())
    se = np.nan
    if k >= 3:
        rss = float(np.sum((y - a - b * x) ** 2))
        se = math.sqrt(rss / (k - 2) / float(np.sum(xc**2)))
    return {"exponent": b, "exponent_se": se, "prefactor": math.exp(a), "n_points": k}


def width_sweep(init: str, depth: int, widths: Sequence[int], n_networks=8,
                activation: str | None = None, *, n_inputs: int = 32, seed: int = 0,
                dtype: str = "float32", min_layer: int = 2, reference: str = "exact",
                use_cache: bool = True) -> dict[str, pd.DataFrame]:
    """Deviation from the infinite-width prediction as a function of the width N.

    For each width and quantity, every network's relative deviation
    ``(measured - predicted) / |predicted|`` is averaged over layers ``>= min_layer`` (layer 1
    has no finite-width correction); ``deviation`` is the absolute value of the mean of these
    over the networks and ``noise`` its standard error over the networks (the networks are the
    replicates; averaging the signed deviation over layers before taking the absolute value
    lets a bias of one sign stand out of the noise). A width is ``resolved`` when
    ``deviation > 3 noise``; per quantity, ``deviation ~ N^exponent`` is fitted by log-log least
    squares over the resolved widths (:func:`fit_power_law`, with its standard error; NaN with
    fewer than 2). A finite-width bias gives exponent -1; an O(1) discrepancy between the
    network's laws and the Gaussian theory (see the module docstring) gives ~0.

    Args:
        init, depth, activation, n_inputs, seed, dtype: see :class:`PropagationConfig`.
        widths: the widths N.
        n_networks: S, an int or a mapping width -> S (more networks at small widths keep the
            noise below the bias there).
        min_layer: first layer in the averages.
        reference: ``"exact"`` (the theory under the laws drawn, column ``predicted``) or
            ``"gaussian"`` (the Gaussian mean field, column ``predicted_gaussian``).
        use_cache: compute each width through the result cache.

    Returns:
        ``{"table": pooled comparison rows, "deviation": per (width, quantity) with
        signed_deviation, deviation, noise, n_networks, resolved, "fit": per quantity (exponent,
        exponent_se, prefactor, n_points (resolved widths), noise_exponent)}``.
    """
    from initaudit.analysis.cache import cached

    _check_reference(reference)
    name = init[5:] if init.startswith("spec:") else init
    activation = activation or catalogue.default_activation(name)
    frames = []
    for cfg in width_cells(init, activation, depth, widths, n_networks, n_inputs=n_inputs,
                           seed=seed, dtype=dtype):
        frames.append(cached(cfg, run_config) if use_cache else run_config(cfg))
    return width_summary(pd.concat(frames, ignore_index=True), min_layer=min_layer,
                         reference=reference)


_REFERENCES = {"exact": "predicted", "gaussian": "predicted_gaussian"}


def _check_reference(reference: str) -> str:
    return _REFERENCES[choice(reference, tuple(_REFERENCES), "reference")]


def width_cells(init: str, activation: str, depth: int, widths: Sequence[int], n_networks=8, *,
                n_inputs: int = 32, seed: int = 0, dtype: str = "float32",
                log_grad: bool = False) -> list[PropagationConfig]:
    """The cells of a width sweep: one :class:`PropagationConfig` per width, with per-network
    rows (and the log-gradient variance rows with ``log_grad``); ``n_networks`` is an int or a
    mapping width -> S."""
    out = []
    for width in widths:
        s = n_networks[width] if isinstance(n_networks, dict) else n_networks
        out.append(PropagationConfig(init=init, activation=activation, depth=int(depth),
                                     width=int(width), n_networks=int(s), n_inputs=n_inputs,
                                     seed=seed, dtype=dtype, per_network=True,
                                     log_grad=log_grad))
    return out


def width_summary(table: pd.DataFrame, *, min_layer: int = 2,
                  reference: str = "exact") -> dict[str, pd.DataFrame]:
    """Deviation per (width, quantity) and its power-law fit, from the rows of the cells of one
    initializer's width sweep (:func:`width_cells`; see :func:`width_sweep` for the columns)."""
    column = _check_reference(reference)
    init, activation = str(table.init.iloc[0]), str(table.activation.iloc[0])
    depth = int(table.depth.iloc[0])
    if table[column].isna().all():
        raise ValueError(f"no {reference!r} prediction for {init!r} with {activation!r}")
    nets = table[(table.network != "pooled") & (table.layer >= min_layer)].copy()
    if nets.empty:
        raise ValueError("width_sweep needs per-network rows and depth >= min_layer")
    nets["rel_dev"] = (nets.measured - nets[column]) / nets[column].abs()
    per_net = (nets.groupby(["width", "quantity", "network"], sort=True).rel_dev.mean()
               .reset_index())
    rows = []
    for (width, qty), grp in per_net.groupby(["width", "quantity"], sort=True):
        d = grp.rel_dev.to_numpy()
        noise = d.std(ddof=1) / math.sqrt(len(d)) if len(d) >= 2 else np.nan
        mean = float(d.mean())
        rows.append({"width": int(width), "quantity": qty, "signed_deviation": mean,
                     "deviation": abs(mean), "noise": noise, "n_networks": len(d),
                     "resolved": bool(abs(mean) > 3 * noise)})
    dev = pd.DataFrame(rows)
    dev.insert(0, "init", init)
    dev.insert(1, "activation", activation)
    dev.insert(2, "depth", depth)
    dev.insert(3, "reference", reference)
    fits = []
    for qty, grp in dev.groupby("quantity", sort=False):
        res = grp[grp.resolved]
        fit = fit_power_law(res.width, res.deviation)
        noise = fit_power_law(grp.width, grp.noise)
        fits.append({"init": init, "activation": activation, "depth": depth,
                     "reference": reference, "quantity": qty, **fit,
                     "noise_exponent": noise["exponent"]})
    pooled = table[table.network == "pooled"].reset_index(drop=True)
    return {"table": pooled, "deviation": dev, "fit": pd.DataFrame(fits)}


# ---------------------------------------------------------------------------------------------
# End-to-end Jacobian


def jacobian_spectrum(ens: Ensemble, x, n_inputs: int = 4,
                      spec: tspec.NetworkSpec | None = None,
                      weights: str | None = "iid") -> dict[str, pd.DataFrame]:
    """Singular values of the hidden input-output Jacobian ``J = dz_L/dz_1 = D_{L-1} ... D_1``.

    ``D_l = W_l diag(f'(z_l))``; J is N x N, the product the dynamical-isometry literature
    studies (Pennington, Schoenholz, Ganguli 2017). Built as an explicit product of layer
    Jacobians in float64, batched over networks and inputs, then ``torch.linalg.svdvals``.
    Its mean squared singular value ``tr(J J^T)/N`` has the infinite-width expectation
    ``prod_{m=1}^{L-1} chi_m`` (each factor averages over the N directions of its output).
    Keep to moderate widths: the product costs ``2 S P L N^3`` flops.

    Args:
        ens: the ensemble (depth >= 2).
        x: inputs; the first ``n_inputs`` rows are used.
        n_inputs: inputs per network.
        spec: spec for the prediction (None: none).
        weights: the hidden matrices' law for the free-probability prediction of the spread,
            "iid" or "orthogonal" (:mod:`theory.jacobian`); None: no such prediction.

    Returns:
        ``{"singular_values": (network, input, index, singular_value, zero),
        "summary": per (network, input): mean_s2, predicted_mean_s2 (the theory under the laws
        drawn), predicted_mean_s2_gaussian (the Gaussian mean field), s_max, s_min_nonzero,
        frac_zero (singular values below the float64 rank tolerance ``s_max N eps``),
        log10_spread (standard deviation of log10 s over the non-zero ones), frac_within_2x
        (fraction of s within a factor 2 of ``sqrt(mean_s2)``), normalized_variance
        (``m_2 / m_1^2 - 1`` of the squared singular values, ``m_k`` the mean of ``s^{2k}``) and
        predicted_normalized_variance (free probability under the laws drawn,
        :func:`theory.jacobian.jacobian_moments`)}``.
    """
    if ens.depth < 2:
        raise ValueError("the hidden Jacobian dz_L/dz_1 needs depth >= 2")
    x = _as_input(ens, x)[:n_inputs]
    f = activation_fn(ens.activation)
    fprime = activation_derivative(ens.activation)
    s, p, n = ens.n_networks, x.shape[0], ens.width
    h = ens._check_input(x)
    jac = None
    with torch.no_grad():
        for l in range(ens.depth - 1):
            z = ens.layer(l, h)
            d = fprime(z).double()  # (S, P, N)
            w = ens.weights[l + 1].double()  # (S, N, N)
            if jac is None:
                m = torch.diag_embed(d)  # (S, P, N, N)
            else:
                m = d.unsqueeze(-1) * jac  # diag(f'(z_l)) @ J
            jac = torch.matmul(w.unsqueeze(1), m)  # W_l @ ...
            h = f(z)
        sv = torch.linalg.svdvals(jac).cpu().numpy()  # (S, P, N), descending
    # Singular values below the float64 rank tolerance (torch.linalg.matrix_rank's rule) are
    # zeros: relu switches units off, and J then has a null space.
    zero = sv <= sv[..., :1] * n * np.finfo(np.float64).eps
    idx = np.arange(n)
    sv_rows = pd.DataFrame({
        "network": np.repeat(np.arange(s), p * n),
        "input": np.tile(np.repeat(np.arange(p), n), s),
        "index": np.tile(idx, s * p),
        "singular_value": sv.reshape(-1),
        "zero": zero.reshape(-1),
    })
    mean_s2 = (sv**2).mean(axis=-1)
    pred = np.full((s, p), np.nan)
    pred_gauss = np.full((s, p), np.nan)
    pred_nv = np.full((s, p), np.nan)
    if spec is not None and weights is not None:
        from initaudit.theory.jacobian import jacobian_moments

        xs_nv = x.double().cpu().numpy()
        pred_nv = np.broadcast_to(np.array([
            jacobian_moments(spec, xp, order=2, weights=weights)["normalized_variance"]
            for xp in xs_nv]), (s, p))
    if spec is not None:
        xs = x.double().cpu().numpy()
        prod = lambda pr: np.broadcast_to(  # noqa: E731 - prod_{m=1}^{L-1} chi_m per input
            np.exp(np.sum(np.log(pr["chi"][:, : ens.depth - 1]), axis=1)), (s, p))
        pred = prod(predict(spec, xs))
        pred_gauss = prod(predict(spec, xs, law="gaussian"))
    logs = np.where(zero, np.nan, np.log10(np.where(zero, 1.0, sv)))
    rms = np.sqrt(mean_s2)[..., None]
    summary = pd.DataFrame({
        "network": np.repeat(np.arange(s), p),
        "input": np.tile(np.arange(p), s),
        "mean_s2": mean_s2.reshape(-1),
        "predicted_mean_s2": np.asarray(pred).reshape(-1),
        "predicted_mean_s2_gaussian": np.asarray(pred_gauss).reshape(-1),
        "s_max": sv[..., 0].reshape(-1),
        "s_min_nonzero": np.nanmin(np.where(zero, np.nan, sv), axis=-1).reshape(-1),
        "frac_zero": zero.mean(axis=-1).reshape(-1),
        "log10_spread": np.nanstd(logs, axis=-1).reshape(-1),
        "frac_within_2x": ((sv > rms / 2) & (sv < rms * 2)).mean(axis=-1).reshape(-1),
        "normalized_variance": ((sv**4).mean(axis=-1) / mean_s2**2 - 1.0).reshape(-1),
        "predicted_normalized_variance": np.asarray(pred_nv).reshape(-1),
    })
    meta = {"init": ens.name, "activation": ens.activation, "depth": ens.depth, "width": n}
    for frame in (sv_rows, summary):
        for i, (k, v) in enumerate(meta.items()):
            frame.insert(i, k, v)
    return {"singular_values": sv_rows, "summary": summary}


@dataclass(frozen=True)
class JacobianConfig:
    """One cell of the end-to-end Jacobian measurement (:func:`jacobian_spectrum`).

    Attributes:
        init: catalogue name, drawn with its own rule (:meth:`models.mlp.Ensemble.draw`).
        activation: f.
        depth: L (>= 2).
        width: N (the product costs ``2 S P L N^3`` flops: keep it moderate).
        n_networks: S independent networks.
        n_inputs: P inputs uniform on [-1, 1]^d per network.
        d_in: input dimension d.
        omega0: frequency for the sine inits (None: the source's default).
        seed: replicate of the networks; input_seed: replicate of the inputs (both through
            :mod:`initaudit.models.seeds`).
        dtype: "float32" or "float64" (the product is formed in float64 either way).
    """

    init: str
    activation: str
    depth: int
    width: int
    n_networks: int = 4
    n_inputs: int = 4
    d_in: int = D_IN
    omega0: float | None = None
    seed: int = 0
    input_seed: int = 0
    dtype: str = "float64"


def run_jacobian_cell(cfg: JacobianConfig) -> dict[str, pd.DataFrame]:
    """:func:`jacobian_spectrum` of one cell, with the catalogue spec's prediction."""
    ens, _ = Ensemble.draw(cfg.init, cfg.d_in, cfg.width, cfg.depth, cfg.n_networks,
                           activation=cfg.activation, omega0=cfg.omega0, seed=cfg.seed,
                           dtype=cfg.dtype)
    spec = catalogue.spec(cfg.init, cfg.d_in, cfg.width, cfg.depth, cfg.activation,
                          omega0=cfg.omega0)
    x = sample_inputs(cfg.n_inputs, cfg.d_in, cfg.input_seed)
    law = catalogue.get(cfg.init).matrix
    return jacobian_spectrum(ens, x, n_inputs=cfg.n_inputs, spec=spec,
                             weights=law if law in ("iid", "orthogonal") else None)


run_cell = cell_runner("analysis.propagate", {PropagationConfig: run_config,
                                              JacobianConfig: run_jacobian_cell})
