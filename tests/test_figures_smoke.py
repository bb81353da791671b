"""Every figure module runs at the smoke preset: compute, plot and macros, through the pipeline."""

import matplotlib.pyplot as plt
import pytest

from initaudit.figures import pipeline

MODULES = pipeline.discover()


@pytest.mark.parametrize("module", MODULES, ids=[m.NAME for m in MODULES])
def test_figure_runs_at_smoke_preset(module):
    data = module.compute("smoke")
    fig = module.plot(data)
    try:
        assert fig.axes, "the figure has no axes"
    finally:
        plt.close(fig)
    if hasattr(module, "macros"):
        values = module.macros(data)
        assert values and all(isinstance(v, str) and v for v in values.values())


def test_theory_figures_are_discovered():
    names = {m.NAME for m in MODULES}
    assert {"phase_diagram", "depth_predictions"} <= names
