"""The fitted camera images and their error maps (:mod:`analysis.experiments.image_fit`).

Top row: the 512 x 512 target, then the image fitted by each initialiser (seed 0, at the middle
depth of the sweep) from every 4th pixel. Bottom row: the training pixels (each shown as a
4 x 4 block), then each fit's error ``fit - target`` on one symmetric colour scale, with its
full-grid PSNR in the title.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from initaudit.analysis import metrics
from initaudit.analysis.experiment import run_experiment
from initaudit.analysis.experiments import image_fit
from initaudit.analysis.presets import check_preset
from initaudit.figures import style
from initaudit.figures.style import label

NAME = "exp_image_fit_maps"
CAPTION = (
    r"Fits of the camera image from every 4th pixel of both axes, one seed, at the middle "
    r"depth of the sweep. Top: the target and each initialiser's fit on the full grid. Bottom: "
    r"the training pixels (as $4\times4$ blocks) and each fit's error on one symmetric colour "
    r"scale (the 99th percentile of the largest absolute error), with the full-grid PSNR."
)


def compute(preset: str) -> dict:
    """The seed-0 fits of the image-fit experiment (the cells ``exp_image_fit`` also reads)."""
    run = run_experiment(image_fit.NAME, check_preset(preset), progress=True)
    data = {**run.summary, **image_fit.seed_fits(run.configs, run.results, run.summary)}
    return {"outputs": data["outputs"], "target": data["target"],
            "depth": data["representative_depth"], "settings": data["settings"]}


def plot(data: dict) -> plt.Figure:
    style.apply()
    target = data["target"].astype(np.float64)
    inits = [i for i in data["settings"]["inits"] if i in data["outputs"]]
    n = 1 + len(inits)
    fig, axes = plt.subplots(2, n, figsize=(1.9 * n, 4.1), squeeze=False)
    f = data["settings"]["factor"]
    errors = {i: data["outputs"][i].astype(np.float64) - target for i in inits}
    scale = max([float(np.quantile(np.abs(e), 0.99)) for e in errors.values()] + [1e-3])
    axes[0, 0].imshow(target, cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("target", fontsize=7)
    coarse = np.kron(target[::f, ::f], np.ones((f, f)))
    axes[1, 0].imshow(coarse, cmap="gray", vmin=0, vmax=1)
    axes[1, 0].set_title(f"training pixels (1/{f * f})", fontsize=7)
    im = None
    for j, init in enumerate(inits, start=1):
        out = data["outputs"][init].astype(np.float64)
        axes[0, j].imshow(np.clip(out, 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(label(init), fontsize=6)
        im = axes[1, j].imshow(errors[init], cmap="RdBu_r", vmin=-scale, vmax=scale)
        axes[1, j].set_title(f"error, PSNR {metrics.psnr(out, target):.2f} dB", fontsize=6)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if im is not None:
        fig.colorbar(im, ax=axes[1, :].tolist(), shrink=0.8, label="fit $-$ target")
    fig.suptitle(f"depth {data['depth']}, width {data['settings']['width']}, seed 0", fontsize=8)
    return fig


def macros(data: dict) -> dict[str, str]:
    """The depth and seed shown."""
    return {"ExpImgMapsDepth": str(data["depth"]), "ExpImgMapsWidth": str(data["settings"]["width"])}
