"""LaTeX export: every equation the paper references is written, numbers match the theory."""

import re

import pytest

from initaudit.theory import latex, sine


def test_export_writes_equations_and_macros(tmp_path):
    written = latex.export_all(tmp_path)
    assert {p.name for p in written} == {"theory_equations.tex", "theory_macros.tex"}
    eq = (tmp_path / "theory_equations.tex").read_text()
    for label in ("eq:f2", "eq:df2", "eq:ff", "eq:dfdf", "eq:qmap", "eq:chi", "eq:cmap", "eq:qstar",
                  "eq:qslope", "eq:sigmag", "eq:unitgain", "eq:unitgain-q", "eq:unitgain-sb"):
        assert f"\\label{{{label}}}" in eq
    assert eq.count("\\begin{align}") == eq.count("\\end{align}")
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_macros_are_the_theory_numbers(tmp_path):
    latex.export_all(tmp_path)
    text = (tmp_path / "theory_macros.tex").read_text()
    macros = dict(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}\{([^}]*)\}", text))
    cw, cb = sine.sigma_a1_point()
    assert float(macros["SigmaAOneCw"]) == pytest.approx(cw, rel=5e-4)
    assert float(macros["SigmaAOneCb"]) == pytest.approx(cb, rel=5e-4)
    assert float(macros["SirenCbTwoFiftySix"]) == pytest.approx(30 / 16, rel=5e-4)
    assert all(re.fullmatch(r"[A-Za-z]+", k) for k in macros)
