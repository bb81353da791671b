"""The Monte-Carlo figures at the smoke preset, through the figure pipeline (temporary cache and
paper directory): data (stored in the cache), plot, files, captions and macros (the pipeline
checks the macro names); a second run comes from the cache. (tests/test_figures_smoke.py also
runs compute/plot/macros of every figure module directly.)"""

from __future__ import annotations

import re

import pytest

from initaudit.figures import fig_mc_gradients, fig_mc_jacobian, fig_mc_variance, fig_mc_width, pipeline

MODULES = [fig_mc_variance, fig_mc_gradients, fig_mc_width, fig_mc_jacobian]


def test_pipeline_writes_and_caches_the_mc_figures(cache_tmp, tmp_path):
    import matplotlib.image


    names = [m.NAME for m in MODULES]
    generated = tmp_path / "generated"
    first = pipeline.run_figures("smoke", only=names, generated=generated, progress=False)
    assert sorted(first.computed) == sorted(names)
    for name in names:
        for suffix in (".pdf", ".png", "_caption.tex"):
            assert (generated / "figures" / f"{name}{suffix}").is_file()
        macros = (generated / "macros" / f"{name}.tex").read_text()
        assert macros.count("\\newcommand") >= 2
        for line in macros.splitlines()[1:]:
            assert re.fullmatch(r"\\newcommand\{\\[A-Za-z]+\}\{.+\}", line), line
        assert matplotlib.image.imread(generated / "figures" / f"{name}.png").shape[0] > 100
    second = pipeline.run_figures("smoke", only=names, generated=generated, progress=False)
    assert sorted(second.cached) == sorted(names)


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="valid presets are smoke, cpu, paper"):
        fig_mc_variance.compute("huge")
