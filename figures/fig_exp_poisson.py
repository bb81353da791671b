"""Physics-informed sine networks on a 2-D Poisson problem: error against the exact solution.

Runs :mod:`analysis.experiments.poisson` (``-Lap u = f`` on ``[-1, 1]^2`` with a manufactured
two-mode solution; one network per initialiser, depth and seed, trained on the same collocation
stream) and draws

* top: the relative L2 error against training steps, one panel per depth (geometric mean over
  seeds and the 95% t-interval of ``log10`` error as a band);
* bottom: the final error against depth; the exact solution; the absolute error map of the
  median-error run of the SIREN reference and of the edge-of-chaos ``sigma_a = 0`` arm at the
  largest depth (one colour scale for both maps).

The macros give the sizes, the final errors per arm and depth, the paired differences of
``log10`` final error against SIREN (per depth and pooled over depths) with their intervals,
p-values (raw and Holm-adjusted) and a verdict word, and the table of final errors.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import poisson
from initaudit.figures import style, text

NAME = "exp_poisson"
CAPTION = (
    r"Physics-informed sine networks on $-\Delta u=f$ in $[-1,1]^2$ with the manufactured "
    r"solution $u^\star=\sin(\pi x)\sin(2\pi y)+\tfrac14\cos(4\pi x)\sin(5\pi y)$. Top: relative "
    r"$L^2$ error against the exact solution over training, per depth (line: geometric mean over "
    r"seeds; band: 95\% $t$-interval of $\log_{10}$ error). Bottom, from left: final error against "
    r"depth (same intervals); the exact solution; the absolute error of the median-error run of "
    r"the SIREN reference and of the edge-of-chaos ($\sigma_a=0$) initialisation at the largest "
    r"depth, on one colour scale. Every initialiser shares $\omega_0$, the learning rate and its "
    r"schedule, the step count and the collocation points of each seed."
)

#: Arms drawn with the shared off-curve colour.
_OFF_CURVE = {"ordered", "chaotic"}
_WORDS = {2: "Two", 3: "Three", 4: "Four", 6: "Six", 8: "Eight", 12: "Twelve", 16: "Sixteen",
          24: "TwentyFour", 32: "ThirtyTwo", 64: "SixtyFour"}


def _depth_key(depth) -> str:
    if str(depth) == "pooled":
        return "Pooled"
    d = int(depth)
    if d not in _WORDS:
        raise ValueError(f"no macro word for depth {d}; add it to _WORDS")
    return "Depth" + _WORDS[d]


def _color(arm: str) -> str:
    return style.color(arm)


def _label(arm: str) -> str:
    return style.label(arm)


def compute(preset: str) -> dict:
    """Run the experiment (through the cache) and keep its summary and error maps (no wall
    time: results are the same bytes on every run; times are in the cache headers)."""
    run = run_experiment(poisson.NAME, preset, progress=True)
    return {"preset": preset, "summary": run.summary,
            "maps": poisson.error_maps(run.configs, run.results)}


def plot(data: dict) -> plt.Figure:
    style.apply()
    s = data["summary"]
    curves, final, maps = s["curves"], s["final"], data["maps"]
    depths = list(s["settings"]["depths"])
    arms = list(s["settings"]["arms"])
    fig = plt.figure(figsize=(7.2, 5.6))
    outer = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.05], hspace=0.5)
    top = outer[0].subgridspec(1, len(depths), wspace=0.25)
    bottom = outer[1].subgridspec(1, 4, wspace=0.55, width_ratios=[1.2, 1, 1, 1])

    ax0 = None
    for k, depth in enumerate(depths):
        ax = fig.add_subplot(top[0, k], sharey=ax0)
        ax0 = ax0 or ax
        for arm in arms:
            c = curves[(curves.init == arm) & (curves.depth == depth)].sort_values("step")
            if c.empty:
                continue
            ax.plot(c.step, c.geo_mean, color=_color(arm), lw=1.2,
                    ls="--" if arm in _OFF_CURVE else "-", label=_label(arm))
            ax.fill_between(c.step, 10 ** c.log10_lo, 10 ** c.log10_hi, color=_color(arm),
                            alpha=0.2, lw=0)
        ax.set_yscale("log")
        ax.set_xlabel("Adam step")
        ax.set_title(f"depth $L={depth}$")
        if k == 0:
            ax.set_ylabel(r"relative $L^2$ error")
    ax0.legend(fontsize=6, loc="upper right")

    ax = fig.add_subplot(bottom[0, 0])
    offsets = np.linspace(-0.06, 0.06, max(len(arms), 1))
    for off, arm in zip(offsets, arms):
        f = final[final.init == arm].sort_values("depth")
        x = np.asarray(f.depth, dtype=float) * (1 + off)
        lo, hi = 10 ** f.log10_lo.to_numpy(), 10 ** f.log10_hi.to_numpy()
        gm = f.geo_mean.to_numpy()
        yerr = np.vstack([gm - np.where(np.isfinite(lo), lo, gm), np.where(np.isfinite(hi), hi, gm) - gm])
        ax.errorbar(x, gm, yerr=yerr, fmt="o-", ms=3, lw=0.9, capsize=1.5, color=_color(arm))
    ax.set_xscale("log", base=2)
    ax.set_xticks(depths)
    ax.set_xticklabels([str(d) for d in depths])
    ax.set_yscale("log")
    ax.set_xlabel("depth $L$")
    ax.set_ylabel("final error")

    t = maps["t"]
    extent = (t[0], t[-1], t[0], t[-1])
    ax = fig.add_subplot(bottom[0, 1])
    vabs = float(np.abs(maps["exact"]).max())
    im = ax.imshow(maps["exact"].T, origin="lower", extent=extent, cmap="RdBu_r", vmin=-vabs,
                   vmax=vabs)
    ax.set_title(r"exact $u^\star$", fontsize=7)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    _map_axes(fig, ax, im)
    shown = [a for a in ("siren", "edge_of_chaos") if a in maps["runs"]]
    errors = {a: np.abs(maps["runs"][a]["prediction"].astype(np.float64) - maps["exact"])
              for a in shown}
    vmax = max([float(e.max()) for e in errors.values()] + [1e-12])
    for j, arm in enumerate(shown):
        ax = fig.add_subplot(bottom[0, 2 + j])
        run = maps["runs"][arm]
        im = ax.imshow(errors[arm].T, origin="lower", extent=extent, cmap="magma", vmin=0,
                       vmax=vmax)
        name = "SIREN" if arm == "siren" else r"EoC $\sigma_a=0$"
        ax.set_title(f"|error|, {name}\n$L={run['depth']}$, rel. {run['final_rel_l2']:.2g}",
                     fontsize=7)
        ax.set_xlabel("$x$")
        ax.set_yticklabels([])
        _map_axes(fig, ax, im)
    return fig


def _map_axes(fig: plt.Figure, ax: plt.Axes, im) -> None:
    """Square map axes without the grid, ticks at -1, 0, 1 and a slim colour bar."""
    ax.grid(False)
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])
    ax.tick_params(labelsize=6)
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    bar.ax.tick_params(labelsize=6)


def _fmt(x: float, digits: int = 2) -> str:
    return text.tex_number(x, digits, significant=True)


def _pct(x: float) -> str:
    """An error as a percentage with two significant digits."""
    if not math.isfinite(x):
        return "n/a"
    v = 100 * x
    return f"{v:.0f}" if v >= 10 else f"{v:.2g}"


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p >= 1e-4 else r"$<10^{-4}$"


def _verdict(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "not measurable against"
    if hi < 0:
        return "smaller than"
    if lo > 0:
        return "larger than"
    return "not distinguishable from"


def _claim(lo: float, hi: float) -> str:
    """The claim "the arm's error is smaller than SIREN's" read off a 95% interval of Delta."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "untested"
    if hi < 0:
        return "supported"
    if lo > 0:
        return "contradicted"
    return "inconclusive"


def _table(s: dict) -> str:
    """The whole tabular: final error (%) per arm and depth, and the pooled difference."""
    final, comp = s["final"], s["comparisons"]
    depths = list(s["settings"]["depths"])
    cols = "l" + "c" * len(depths) + "c"
    head = ("initialisation & " + " & ".join(f"$L={d}$" for d in depths)
            + r" & $\Delta\log_{10}$ vs SIREN, pooled \\")
    lines = [rf"\begin{{tabular}}{{{cols}}}", r"\toprule", head, r"\midrule"]
    for arm in s["settings"]["arms"]:
        cells = []
        for d in depths:
            r = final[(final.init == arm) & (final.depth == d)]
            if r.empty:
                cells.append("--")
                continue
            r = r.iloc[0]
            cells.append(f"{_pct(r.geo_mean)} [{_pct(10 ** r.log10_lo)}, {_pct(10 ** r.log10_hi)}]")
        c = comp[(comp.init == arm) & (comp.depth == "pooled") & (comp.metric == "final")] \
            if not comp.empty else comp
        if arm == poisson.BASELINE or c.empty:
            diff = "--"
        else:
            c = c.iloc[0]
            diff = f"${c['mean']:+.2f}$ [${c['lo']:+.2f}$, ${c['hi']:+.2f}$]"
        label = _label(arm).replace("$(c_w, c_b)=", "$(c_w,c_b)=")
        lines.append(f"{label} & " + " & ".join(cells) + f" & {diff} " + r"\\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return " ".join(lines)


def macros(data: dict) -> dict[str, str]:
    """Sizes, final errors, paired comparisons with SIREN, verdicts and the table (prefix Pois)."""
    s = data["summary"]
    st = s["settings"]
    depths = list(st["depths"])
    out = {
        "PoisWidth": str(st["width"]),
        "PoisDepths": ", ".join(map(str, depths[:-1])) + f" and {depths[-1]}"
        if len(depths) > 1 else str(depths[0]),
        "PoisDepthMin": str(min(depths)),
        "PoisDepthMax": str(max(depths)),
        "PoisSteps": f"{st['steps']:,}".replace(",", "{,}"),
        "PoisSeeds": str(st["seeds"]),
        "PoisOmega": f"{st['omega0']:g}",
        "PoisLr": f"{st['lr']:g}",
        "PoisLrFinal": f"{st['lr'] * st['lr_decay']:g}",
        "PoisColloc": f"{st['n_collocation']:,}".replace(",", "{,}"),
        "PoisBoundaryPoints": f"{st['n_boundary']:,}".replace(",", "{,}"),
        "PoisBoundaryWeight": f"{st['boundary_weight']:g}",
        "PoisGrid": f"{st['eval_points']}",
        "PoisEvalEvery": str(st["eval_every"]),
        "PoisRuns": str(len(s["runs"])),
        "PoisDiverged": str(int(s["runs"].diverged.sum())),
        "PoisTable": _table(s),
    }
    # the smallest and largest depth also under preset-independent names (DepthMin, DepthMax)
    alias = {str(min(depths)): "DepthMin", str(max(depths)): "DepthMax"}
    for row in s["final"].itertuples():
        key = style.macro_key(row.init)
        for where in [_depth_key(row.depth)] + ([alias[str(row.depth)]] if str(row.depth) in alias else []):
            out[f"PoisErr{key}{where}"] = _pct(row.geo_mean)
    key = "poisson_edge_of_chaos_orthogonal_vs_edge_of_chaos_log10_rel_l2_pooled"
    if key in s["evidence"]:  # the orthogonal variant against its i.i.d. point (decades)
        out.update(text.interval_macros("PoisOrthVsIid", s["evidence"][key]))
        out["PoisOrthVsIidRatio"] = _fmt(10 ** s["evidence"][key]["mean"])
    comp = s["comparisons"]
    for row in comp.itertuples() if not comp.empty else ():
        key = style.macro_key(row.init)
        prefix = f"Pois{'Curve' if row.metric == 'curve' else ''}Diff{key}"
        wheres = [_depth_key(row.depth)] + ([alias[row.depth]] if row.depth in alias else [])
        for where in wheres:
            base = prefix + where
            out[base] = text.tex_number(row.mean, 2, signed=True)
            out[base + "Lo"] = text.tex_number(row.lo, 2, signed=True)
            out[base + "Hi"] = text.tex_number(row.hi, 2, signed=True)
            out[base + "Ratio"] = _fmt(row.ratio)
            out[base + "P"] = _p(row.p)
            out[base + "PHolm"] = _p(row.p_holm)
            out[base + "N"] = str(int(row.n))
            out[base + "Verdict"] = _verdict(row.lo, row.hi)
        if row.metric == "final" and row.depth == "pooled":
            out[f"PoisClaim{key}"] = _claim(row.lo, row.hi)
    return out
