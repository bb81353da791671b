"""Phase diagram of sine networks over (c_w, c_b): log sigma_g^2 with the unit-gain curves.

The heat map is the closed form ``sigma_g^2 = (sigma_w^2 - W_0(-sigma_w^2 kappa e^{-sigma_w^2}))/2``
in the uniform convention under the exact law (``kappa = sinc(2 c_b)``: the biases as drawn,
:func:`theory.sine.mean_field_law`); the solid curve is its unit-gain level, the uniform-bias curve
on [sqrt(3), sqrt(6)), and the dashed one the Gaussian law's curve ``c_b(c_w)`` (``kappa =
exp(-2 sigma_b^2)``), the one the edge-of-chaos source publishes; the markers are the
sigma_a = 0 and sigma_a = 1 points of the edge-of-chaos init and where the SIREN reference init
(c_w = sqrt(6), c_b = omega_0/sqrt(N)) and the siren-pytorch port (c_w = sqrt(6), c_b = sqrt(6/N))
sit at N = 256 and N = 1024.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.theory import meanfield, sine

NAME = "phase_diagram"
CAPTION = (
    r"Phase diagram of sine networks at infinite width in the uniform convention "
    r"($W\sim\mathcal U(\pm c_w/\sqrt N)$, $b\sim\mathcal U(\pm c_b)$). Colour: $\log\sigma_g^2$, "
    r"the log of the per-layer gain of squared gradients at the fixed point under the laws "
    r"drawn (exact law; blue: vanishing, red: exploding). Black line: its unit-gain curve, "
    r"Eq.~\eqref{eq:unitgain-uniform}; dotted: the numerically contoured level "
    r"$\sigma_g^2=1$, which it must match; dashed: the unit-gain curve of the Gaussian law, "
    r"Eq.~\eqref{eq:unitgain}, the source's. Markers: the "
    r"edge-of-chaos points $\sigma_a=0$ and $\sigma_a=1$, the SIREN reference initialisation and "
    r"the siren-pytorch port at hidden widths $N=256$ and $1024$."
)

_GRID = {"smoke": 48, "cpu": 400, "paper": 800}
CW_RANGE = (0.5, 3.2)
CB_RANGE = (0.0, 3.0)
WIDTHS = (256, 1024)


def compute(preset: str) -> dict:
    """Gain and fixed point on a (c_w, c_b) grid, the unit-gain curve and the named points."""
    n = _GRID[check_preset(preset)]
    cw = np.linspace(*CW_RANGE, n)
    cb = np.linspace(*CB_RANGE, n)
    cwg, cbg = np.meshgrid(cw, cb)
    sw2, sb2 = sine.uniform_to_sigma2(cwg), sine.uniform_to_sigma2(cbg)
    exact = sine.mean_field_law(sw2, sb2, "exact")
    gain, qstar = exact["sigma_g2"], exact["q_star"]
    curve_cw = np.linspace(sine.CW_MIN, sine.CW_MAX, 2000, endpoint=False)
    curve_cb = sine.unit_gain_cb(curve_cw)
    curve_cb_uniform = sine.uniform_bias_unit_gain_cb(curve_cw)

    points = {"edge_of_chaos": sine.SIGMA_A0, "edge_of_chaos_sigma_a1": sine.sigma_a1_point()}
    for width in WIDTHS:
        points[f"siren_{width}"] = sine.siren_reference_point(width)
        points[f"siren_port_{width}"] = (sine.CW_MAX, float(np.sqrt(6.0 / width)))
    summary = {}
    for name, (pcw, pcb) in points.items():
        mf = meanfield.mean_field(pcw**2 / 3, pcb**2 / 3)
        gauss = meanfield.mean_field(pcw**2 / 3, pcb**2 / 3, law="gaussian")
        summary[name] = {"c_w": pcw, "c_b": pcb, "sigma_g2": mf.sigma_g2, "q_star": mf.q_star,
                         "xi_c": mf.xi_c, "phase": mf.phase,
                         "sigma_g2_gaussian": gauss.sigma_g2, "phase_gaussian": gauss.phase}
    return {"c_w": cw, "c_b": cb, "sigma_g2": gain, "q_star": qstar,
            "curve_c_w": curve_cw, "curve_c_b": curve_cb, "curve_c_b_uniform": curve_cb_uniform,
            "points": summary}


def _look(name: str) -> tuple[str, str, str, str]:
    """Marker, colour, face colour and label of a point: its initialiser's catalogue style; the
    wider of two widths has an open marker."""
    init, _, width = name.rpartition("_")
    if not width.isdigit():
        return style.marker(name), style.color(name), style.color(name), style.label(name)
    face = "white" if int(width) == max(WIDTHS) else style.color(init)
    return style.marker(init), style.color(init), face, f"{style.label(init)}, $N={width}$"


def plot(data: dict) -> plt.Figure:
    style.apply()
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    logg = np.log(data["sigma_g2"])
    lim = float(np.nanmax(np.abs(logg)))
    mesh = ax.pcolormesh(data["c_w"], data["c_b"], logg, cmap="RdBu_r", shading="auto",
                         norm=TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim), rasterized=True)
    fig.colorbar(mesh, ax=ax, label=r"$\log\sigma_g^2$")
    ax.contour(data["c_w"], data["c_b"], logg, levels=[0.0], colors="white", linestyles=":", linewidths=1.2)
    ax.plot(data["curve_c_w"], data["curve_c_b_uniform"], color="black", lw=1.6,
            label=r"unit gain, exact law (uniform biases)")
    ax.plot(data["curve_c_w"], data["curve_c_b"], color="black", lw=1.2, ls="--",
            label=r"unit gain, Gaussian law (source)")
    ax.axvline(sine.CW_MAX, color="grey", lw=0.6, ls="-.")
    for name, pt in data["points"].items():
        marker, color, face, lab = _look(name)
        ax.plot(pt["c_w"], pt["c_b"], marker=marker, ms=7, ls="none", mec=color, mew=1.0,
                color=color, mfc=face, label=lab, clip_on=False, zorder=5)
    ax.set_xlim(*CW_RANGE)
    ax.set_ylim(*CB_RANGE)
    ax.set_xlabel(r"$c_w$ (hidden weights $U(\pm c_w/\sqrt{N})$)")
    ax.set_ylabel(r"$c_b$ (biases $U(\pm c_b)$)")
    ax.grid(False)
    ax.legend(loc="upper left", frameon=True, framealpha=0.9)
    return fig


def macros(data: dict) -> dict[str, str]:
    p = data["points"]
    return {
        "PhaseSirenPortSigmaGTwoFiftySix": f"{p['siren_port_256']['sigma_g2']:.4g}",
        "PhaseSirenPortSigmaGTenTwentyFour": f"{p['siren_port_1024']['sigma_g2']:.4g}",
        "PhaseSirenPortSigmaGGaussTwoFiftySix": f"{p['siren_port_256']['sigma_g2_gaussian']:.4g}",
        "PhaseSirenPortSigmaGGaussTenTwentyFour":
            f"{p['siren_port_1024']['sigma_g2_gaussian']:.4g}",
        "PhaseGridPoints": f"{len(data['c_w'])}",
    }
