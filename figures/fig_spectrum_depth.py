r"""Frequency content of initialised sine networks against depth (the claim of arXiv 2512.06427).

Combette, Venaille and Pustelnik (arXiv 2512.06427, Fig. 4, "mechanism 2") say that their
edge-of-chaos initialisation keeps the spectrum of the network function below the first-layer
frequency omega_0, while the SIREN reference init spreads it to higher frequencies with depth.
For every registered initializer of fully connected layers, as a sine network (first layer: its
own where it carries omega_0 = 30, else the edge-of-chaos first layer ``U(+-omega_0/d)``; see
:mod:`analysis.spectrum`), S networks per depth are evaluated on a dense grid of [-1, 1]
(Hann window, mean removed; angular frequency in rad per unit x) and we plot

* (a) the share of the energy above omega_0 and (b) the spectral centroid / omega_0 against
  depth, mean and 95% t-interval over the S networks (hollow markers: the grid's top octave
  still held more than 1e-4 of the energy at the preset's largest grid, i.e. the spectrum is
  aliased and the number is a floor-limited estimate), with the infinite-width expectation of the
  same average under the exact law (thin lines; :func:`analysis.spectrum.theory_shares`);
* (c) the same share above omega_0 for 2-D inputs on [-1, 1]^2 (radial frequency), SIREN
  reference against edge of chaos;
* (d, e) the 1-D power spectra (share of each network's energy per bin of width pi, averaged
  over networks, band: 95% t-interval) of the SIREN reference and edge of chaos at two depths,
  with the exact law's expected spectrum (dotted);
  (f) the radially averaged 2-D spectra.
"""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import spectrum_depth
from initaudit.analysis.presets import check_preset
from initaudit.figures import style, text

NAME = "spectrum_depth"
CAPTION = (
    r"Spectrum of the network function of sine networks at initialisation against depth "
    r"(angular frequency in rad per unit $x$, inputs on a dense grid of $[-1,1]$, Hann window, "
    r"mean removed). (a) Share of the energy above the first-layer frequency $\omega_0=30$ and "
    r"(b) spectral centroid over $\omega_0$ for every initialiser of fully connected layers "
    r"(hidden layers and readout as registered; initialisers without a frequency get the "
    r"edge-of-chaos first layer $U(\pm\omega_0/d)$); points: mean over networks, bars: 95\% "
    r"$t$-intervals; hollow: still aliased at the largest grid; thin lines: the infinite-width "
    r"expectation of the same average under the laws drawn (exact law). (c) The same share for "
    r"inputs on $[-1,1]^2$ (radial frequency). (d, e) Power spectra of the SIREN reference and "
    r"the edge-of-chaos initialisation at two depths (share of the energy per bin of width "
    r"$\pi$, bands: 95\% $t$-intervals; dotted: the exact law's expected spectrum); (f) radially "
    r"averaged 2-D spectra."
)

#: The two initialisers of the claim.
PAIR = spectrum_depth.PAIR
_rows = spectrum_depth.rows
_MACRO_KEY = {"siren": "Siren", "edge_of_chaos": "EoC"}


def _look(init: str) -> tuple[str, str, str, str]:
    """Colour, line style, marker and label of ``init`` (its catalogue style)."""
    return style.color(init), style.linestyle(init), style.marker(init), style.label(init)


def compute(preset: str) -> dict:
    """Sweep summaries (1-D all initializers, 2-D the pair) and example spectra of the pair
    (experiment ``spectrum-depth``)."""
    summary = run_experiment(spectrum_depth.NAME, check_preset(preset), progress=True).summary
    size = spectrum_depth.PRESETS[preset]
    ex = summary["examples"]
    return {"preset": preset, "sweep": summary["sweep"], "sweep2d": summary["sweep2d"],
            "examples": ex[ex.depth.isin(size.examples)].reset_index(drop=True),
            "examples2d": summary["examples2d"], "band": summary["band"],
            "check": summary["check"],
            "window_leakage": summary["window_leakage"],
            "band_limit": spectrum_depth.band_theory((8, LIMIT_DEPTH), size.width)}


#: Depth at which the band-limited share stands for its limit: at sigma_a = 0 its factors are
#: 1 - d_l^2/6 with d_l ~ 1/l, so the product beyond L changes it by about 1/(6 L), 2e-4 here.
LIMIT_DEPTH = 1024


def _errorbars(ax, grp, y, lo, hi, color, ls, marker, label):
    ok = grp.resolved.astype(bool).to_numpy()
    yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
    ax.plot(grp.depth, y, ls=ls, color=color, lw=1.0, label=label)
    for mask, face in ((ok, color), (~ok, "none")):
        if mask.any():
            ax.errorbar(grp.depth[mask], y[mask], yerr=yerr[:, mask], fmt=marker, ms=3.5,
                        color=color, mfc=face, ecolor=color, elinewidth=0.8, capsize=1.5)


def _depth_panel(ax, table, quantity, k=None, inits=None, floor=1e-6, theory=False):
    inits = inits or list(dict.fromkeys(table.init))
    for init in inits:
        grp = _rows(table, init, quantity, k)
        if grp.empty:
            continue
        color, ls, marker, label = _look(init)
        y = grp["mean"].to_numpy()
        lo = np.where(np.isfinite(grp.lo), grp.lo, y)
        hi = np.where(np.isfinite(grp.hi), grp.hi, y)
        lo = np.maximum(lo, floor)  # log axis: an interval reaching below 0 is drawn to the floor
        _errorbars(ax, grp, y, lo, hi, color, ls, marker, label)
        if theory and "predicted" in grp and grp.predicted.notna().any():
            ax.plot(grp.depth, grp.predicted, color=color, lw=1.1, ls=(0, (1, 1.5)), alpha=0.9)
    ax.set_yscale("log")
    ax.set_xscale("log", base=2)
    depths = sorted(set(table.depth))
    ax.set_xticks(depths)
    ax.set_xticklabels([str(d) for d in depths])
    ax.set_xlabel("depth $L$")


def _spectrum_panel(ax, spectra, depth, omega0, radial=False):
    for init in PAIR:
        grp = spectra[(spectra.init == init) & (spectra.depth == depth)]
        grp = grp[grp.omega > 0]
        if grp.empty:
            continue
        color, _, _, label = _look(init)
        x = grp.omega_over_omega0.to_numpy()
        y = grp.power.to_numpy()
        ax.plot(x, y, color=color, lw=0.9, label=label)
        lo = np.maximum(grp.power_lo.to_numpy(), 1e-14)
        ax.fill_between(x, lo, grp.power_hi.to_numpy(), color=color, alpha=0.25, lw=0)
        if "predicted_power" in grp and grp.predicted_power.notna().any():
            ax.plot(x, grp.predicted_power.to_numpy(), color=color, lw=0.7, ls=":")
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 1)
    ax.set_xlim(0, 6)
    ax.set_xlabel(r"$|\omega|/\omega_0$" if radial else r"$\omega/\omega_0$")


def plot(data: dict) -> plt.Figure:
    style.apply()
    sweep, sweep2d = data["sweep"], data["sweep2d"]
    omega0 = float(sweep.omega0.iloc[0])
    examples = sorted(set(data["examples"].depth))
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.0))
    (a, b, c), (d, e, f) = axes

    _depth_panel(a, sweep, "energy_above", 1.0, floor=3e-3, theory=True)
    a.set_ylabel(r"share of energy above $\omega_0$")
    a.set_title(f"(a) 1-D, width {int(sweep.width.iloc[0])}, "
                f"{int(sweep.n_networks.max())} networks")
    _depth_panel(b, sweep, "centroid_over_omega0", floor=1e-3, theory=True)
    b.axhline(1.0, color="black", lw=0.8, ls="--")
    b.set_ylabel(r"spectral centroid / $\omega_0$")
    b.set_title("(b) spectral centroid")
    _depth_panel(c, sweep2d, "energy_above", 1.0, inits=list(PAIR))
    c.set_ylabel(r"share of energy above $\omega_0$")
    c.set_title(f"(c) 2-D, width {int(sweep2d.width.iloc[0])}, "
                f"{int(sweep2d.n_networks.max())} networks")

    for ax, depth, tag in ((d, examples[0], "(d)"), (e, examples[-1], "(e)")):
        _spectrum_panel(ax, data["examples"], depth, omega0)
        ax.set_title(f"{tag} 1-D spectra, depth {depth}")
    d.set_ylabel("share of energy per bin")
    ex2 = data["examples2d"]
    for depth, alpha in zip(sorted(set(ex2.depth)), (0.45, 1.0)):
        for init in PAIR:
            grp = ex2[(ex2.init == init) & (ex2.depth == depth) & (ex2.omega > 0)]
            color, _, _, label = _look(init)
            f.plot(grp.omega_over_omega0, grp.power, color=color, lw=0.9, alpha=alpha,
                   ls="-" if alpha == 1.0 else "--", label=f"{label}, $L={depth}$")
    f.axvline(1.0, color="black", lw=0.8, ls="--")
    f.set_yscale("log")
    f.set_ylim(1e-12, 1)
    f.set_xlim(0, 6)
    f.set_xlabel(r"$|\omega|/\omega_0$")
    f.set_title("(f) 2-D radially averaged")
    f.legend(loc="lower left", fontsize=5.5)
    d.legend(loc="lower left", fontsize=6)

    handles, labels = a.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (labels[i] not in
                                                     [_look(p)[3] for p in PAIR], labels[i]))
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="lower center",
               ncol=4, fontsize=6.5, frameon=False)
    fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig


def _fmt(x: float) -> str:
    return text.tex_number(x, 2, missing="--")


def _fmt3(x: float) -> str:
    return text.tex_number(float(x), 3, significant=True)


def macros(data: dict) -> dict[str, str]:
    """Share above omega_0 (mean and 95% interval) and centroid of the pair at each depth."""
    out = {}
    sweep = data["sweep"]
    depths = sorted(set(sweep.depth))
    # Named by role, not by value, so that the text reads at every preset's depths.
    ends = {depths[0]: "Shallow", depths[-1]: "Deep"}
    for init, key in _MACRO_KEY.items():
        for depth, word in ends.items():
            r = _rows(sweep, init, "energy_above", 1.0)
            r = r[r.depth == depth].iloc[0]
            out[f"Spec{key}AboveL{word}"] = _fmt(r["mean"])
            out[f"Spec{key}AboveL{word}Ci"] = f"[{_fmt(r.lo)}, {_fmt(r.hi)}]"
            out[f"Spec{key}AboveL{word}Theory"] = _fmt(r["predicted"])
            out[f"Spec{key}AboveL{word}Gauss"] = _fmt(r["predicted_gaussian"])
            c = _rows(sweep, init, "centroid_over_omega0")
            c = c[c.depth == depth].iloc[0]
            out[f"Spec{key}CentroidL{word}"] = _fmt(c["mean"])
            out[f"Spec{key}CentroidL{word}Theory"] = _fmt(c["predicted"])
        s2 = data["sweep2d"]
        r2 = _rows(s2, init, "energy_above", 1.0)
        if not r2.empty:
            last = r2.iloc[-1]
            out[f"Spec{key}AboveTwoD"] = _fmt(last["mean"])
            out[f"Spec{key}AboveTwoDCi"] = f"[{_fmt(last.lo)}, {_fmt(last.hi)}]"
    out["SpecTwoDDepth"] = str(int(_rows(data["sweep2d"], PAIR[0], "energy_above", 1.0)
                                   .depth.max()))
    out["SpecDepthMin"] = str(int(sweep.depth.min()))
    out["SpecDepthMax"] = str(int(sweep.depth.max()))
    out["SpecWidth"] = str(int(sweep.width.iloc[0]))
    out["SpecNetworks"] = str(int(sweep.n_networks.max()))
    out["SpecOmegaZero"] = f"{float(sweep.omega0.iloc[0]):g}"
    unresolved = sweep[(sweep.quantity == "centroid") & ~sweep.resolved.astype(bool)]
    out["SpecUnresolvedCells"] = str(len(unresolved))
    # theory: every 1-D cell against the exact law, in standard errors
    ea = sweep[(sweep.quantity == "energy_above") & (sweep.k == 1.0) & sweep.predicted.notna()
               & sweep.resolved.astype(bool)]
    z = (ea["mean"] - ea.predicted) / (ea.sd / np.sqrt(ea.n))
    out["SpecTheoryCells"] = str(len(ea))
    out["SpecTheoryMaxAbsZ"] = _fmt(float(np.nanmax(np.abs(z)))) if len(z) else "--"
    out["SpecTheoryWithinThree"] = str(int(np.sum(np.abs(z) <= 3)))
    out["SpecWindowLeakage"] = _fmt(data["window_leakage"])
    band = data["band"]
    deepest = int(band.depth.max())
    out["SpecBandDepth"] = str(deepest)
    lim = data["band_limit"]
    for init, key in (("edge_of_chaos", "EoC"), ("edge_of_chaos_sigma_a1", "EoCSigmaOne"),
                      ("siren", "Siren")):
        b = band[(band.init == init) & (band.depth == deepest)].iloc[0]
        out[f"SpecBandShare{key}"] = text.tex_number(float(b.band_share), 2, significant=True)
        b8 = lim[(lim.init == init) & (lim.depth == 8)].iloc[0]
        out[f"SpecBandShareEight{key}"] = text.tex_number(float(b8.band_share), 2,
                                                           significant=True)
        bl = lim[(lim.init == init) & (lim.depth == LIMIT_DEPTH)].iloc[0]
        out[f"SpecBandShareLimit{key}"] = text.tex_number(float(bl.band_share), 2,
                                                           significant=True)
    out["SpecBandLimitDepth"] = str(LIMIT_DEPTH)
    # the theory check: many networks of the pair at one depth
    check = data["check"]
    ea = check[(check.quantity == "energy_above") & (check.k == 1.0)]
    out["SpecCheckDepth"] = str(int(ea.depth.iloc[0]))
    out["SpecCheckNetworks"] = str(int(ea.n_networks.iloc[0]))
    for init, key in (("siren", "Siren"), ("edge_of_chaos", "EoC")):
        r = ea[ea.init == init].iloc[0]
        se = r.sd / np.sqrt(r.n)
        out[f"SpecCheck{key}Above"] = _fmt3(r["mean"])
        out[f"SpecCheck{key}AboveSe"] = _fmt3(se)
        out[f"SpecCheck{key}AboveTheory"] = _fmt3(r.predicted)
        out[f"SpecCheck{key}AboveGauss"] = _fmt3(r.predicted_gaussian)
        out[f"SpecCheck{key}Z"] = f"{(r['mean'] - r.predicted) / se:.1f}"
        out[f"SpecCheck{key}ZGauss"] = f"{(r['mean'] - r.predicted_gaussian) / se:.1f}"
    return out
