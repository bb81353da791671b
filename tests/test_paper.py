"""The paper: generated files, the LaTeX-missing error, and real builds when latexmk is here."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import types

import pytest

from initaudit.figures import cli, paper, pipeline

HAVE_LATEX = all(shutil.which(tool) is not None for tool in ("latexmk", "pdflatex", "pdftotext"))
needs_latex = pytest.mark.skipif(not HAVE_LATEX,
                                 reason="latexmk, pdflatex or pdftotext not installed")

INSTALL = ("apt-get install --no-install-recommends texlive-latex-base texlive-latex-recommended "
           "texlive-science latexmk poppler-utils")

FAKE_FIGURE = '''
import matplotlib.pyplot as plt

NAME = "phase_diagram"
CAPTION = r"Fake phase diagram, $\\sigma_w$ against $\\sigma_b$."


def compute(preset):
    return {"x": [0.0, 1.0], "y": [1.0, 0.0]}


def plot(data):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(data["x"], data["y"])
    return fig


def macros(data):
    return {"FakeCritical": "1.73"}
'''


@pytest.fixture
def paper_copy(tmp_path, repo_root, monkeypatch):
    """A private copy of paper/ (main.tex, references.bib, sections/) used as the paper directory."""
    directory = tmp_path / "paper"
    directory.mkdir()
    for name in ("main.tex", "references.bib"):
        shutil.copy2(repo_root / "paper" / name, directory)
    if (repo_root / "paper" / "sections").is_dir():
        shutil.copytree(repo_root / "paper" / "sections", directory / "sections")
    monkeypatch.setenv("INITAUDIT_PAPER_DIR", str(directory))
    return directory


@pytest.fixture
def fake_theory_latex(monkeypatch):
    """Stand-in for theory.latex.export_all, for tests that are about the plumbing only."""
    module = types.ModuleType("initaudit.theory.latex")

    def export_all(directory):
        path = directory / "theory_equations.tex"
        path.write_text("\\begin{equation} q^{*} = \\sigma_w^2 + \\sigma_b^2 \\end{equation}\n")
        return [path]

    module.export_all = export_all
    monkeypatch.setitem(sys.modules, "initaudit.theory.latex", module)
    import initaudit.theory as theory_package

    monkeypatch.setattr(theory_package, "latex", module, raising=False)
    return module


@pytest.fixture
def fake_figure(tmp_path, monkeypatch, cache_tmp):
    source = tmp_path / "fig_phase_diagram.py"
    source.write_text(FAKE_FIGURE)
    spec = importlib.util.spec_from_file_location("tests_fig_phase_diagram", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(pipeline, "discover", lambda: [module])
    return module


def _hide_latex(monkeypatch, tmp_path):
    """PATH without latexmk or pdflatex (python itself is run by absolute path)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


# --------------------------------------------------------------------------------------------
# Without LaTeX


def test_paper_without_latexmk_says_what_to_install(monkeypatch, tmp_path, paper_copy, capsys):
    _hide_latex(monkeypatch, tmp_path)
    assert cli.main(["paper", "--preset", "smoke"]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("initaudit: error: latexmk not found")
    assert INSTALL in lines[0]
    assert "Traceback" not in err
    # It failed before doing any work.
    assert not (paper_copy / "generated").exists()


def test_build_pdf_without_latexmk_raises(monkeypatch, tmp_path, paper_copy):
    monkeypatch.setattr(paper.shutil, "which", lambda name: None)
    with pytest.raises(paper.LatexNotFoundError, match="TeX Live with latexmk"):
        paper.build_pdf()


def test_reproduce_without_latexmk_still_makes_figures(monkeypatch, tmp_path, paper_copy,
                                                       fake_theory_latex, fake_figure, capsys):
    _hide_latex(monkeypatch, tmp_path)
    assert cli.main(["reproduce", "--preset", "smoke"]) == 1
    captured = capsys.readouterr()
    assert (paper_copy / "generated" / "figures" / "phase_diagram.pdf").is_file()
    assert (paper_copy / "generated" / "theory_equations.tex").is_file()
    assert "paper: not built" in captured.out
    assert captured.err.strip().splitlines()[-1].startswith("initaudit: error: latexmk not found")


def test_write_generated(paper_copy, fake_theory_latex, fake_figure):
    written = paper.write_generated("smoke")
    generated = paper_copy / "generated"
    assert generated / "theory_equations.tex" in written
    assert (generated / "macros.tex").is_file()
    info = (generated / "build_info.tex").read_text()
    assert "\\newcommand{\\InitauditPreset}{smoke}" in info


def test_stale_figures(paper_copy, fake_figure, monkeypatch, tmp_path):
    assert paper.stale_figures("smoke") == ["phase_diagram"]
    pipeline.run_figures("smoke", progress=False)
    assert paper.stale_figures("smoke") == []
    assert paper.stale_figures("cpu") == ["phase_diagram"]
    # made with other optional inputs present: out of date
    data = tmp_path / "data"
    data.mkdir()
    (data / "medical.txt").write_text("a b c .\n")
    monkeypatch.setenv("INITAUDIT_DATA_DIR", str(data))
    assert paper.stale_figures("smoke") == ["phase_diagram"]
    monkeypatch.delenv("INITAUDIT_DATA_DIR")
    # made by other code: out of date
    monkeypatch.setattr(pipeline, "source_sha256", lambda module: "0" * 64)
    assert paper.stale_figures("smoke") == ["phase_diagram"]


# --------------------------------------------------------------------------------------------
# With LaTeX


@needs_latex
def test_skeleton_builds_without_generated_files_but_is_reported_incomplete(paper_copy):
    """Every \\input is guarded: the bare manuscript compiles, showing notes; the build then
    fails with the list of what is missing, and the PDF stays for inspection."""
    with pytest.raises(paper.PaperIncompleteError) as info:
        paper.build_pdf()
    pdf = info.value.pdf
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    problems = info.value.problems
    assert "missing generated file generated/theory_equations.tex" in problems
    assert "undefined generated macro ClaimsTotal" in problems


@needs_latex
def test_latex_error_shows_log_tail(paper_copy):
    (paper_copy / "main.tex").write_text(
        "\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n"
    )
    with pytest.raises(paper.LatexBuildError, match="Undefined control sequence"):
        paper.build_pdf()


@needs_latex
def test_paper_command_makes_missing_figures_then_builds(paper_copy, fake_theory_latex,
                                                         fake_figure, capsys):
    # Only one (fake) figure exists, so the text's other numbers are undefined: the PDF is
    # built and the command fails, listing them (a reader would see ?? marks).
    assert cli.main(["paper", "--preset", "smoke"]) == 1
    captured = capsys.readouterr()
    assert "phase_diagram" in captured.out
    assert "is incomplete" in captured.err and "undefined generated macro" in captured.err
    pdf = paper_copy / "build" / "main.pdf"
    assert pdf.stat().st_size > 1000
    log = (paper_copy / "build" / "main.log").read_text(errors="replace")
    assert "generated/figures/phase_diagram.pdf" in log  # the figure was really included
    # A second build finds the figure up to date and does not rerun it.
    assert cli.main(["paper", "--preset", "smoke"]) == 1
    assert "phase_diagram" not in capsys.readouterr().out


@needs_latex
def test_full_build_at_smoke_preset(paper_copy, cache_tmp, capsys, monkeypatch):
    """The real thing: real figure modules, real theory export, a PDF."""
    # As a user who cloned the project has it: no data directory, so no medical.txt.
    monkeypatch.delenv("INITAUDIT_DATA_DIR", raising=False)
    assert cli.main(["reproduce", "--preset", "smoke"]) == 0
    pdf = paper_copy / "build" / "main.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    assert (paper_copy / "generated" / "theory_equations.tex").is_file()
    # What a reader sees: no ?? mark and no missing-file box on any page. pdftotext is read
    # independently of the package's own log check.
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout
    assert len(text) > 20_000
    marks = [line for line in text.splitlines() if "??" in line or "Missing generated" in line]
    assert marks == []
    # The LaTeX log: nothing undefined, no missing file (LaTeX's own warnings, not the package's).
    log = (paper_copy / "build" / "main.log").read_text(errors="replace")
    for pattern in (r"Reference `[^']*' on page \d+ undefined", r"Citation `[^']*' .*undefined",
                    r"There were undefined references", r"initaudit-paper:",
                    r"Undefined control sequence"):
        assert not re.search(pattern, log), pattern
    # The ledger's file carries the provenance of its evidence; the smoke preset has no
    # medical.txt setting, so the claims about the paper's corpus say they were not measured.
    ledger = json.loads((paper_copy / "generated" / "claims.json").read_text())
    assert ledger["provenance"] and ledger["provenance"][0]["processor"]
    rows = {r["id"]: r for r in ledger["claims"]}
    assert rows["hlm-best-accuracy"]["verdict"] == "not run"
    assert rows["hlm-heldout-accuracy"]["verdict"] != "not run"
    # initaudit paper --json: everything is current, so no figure is remade, and it says so
    capsys.readouterr()
    assert cli.main(["paper", "--preset", "smoke", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pdf"] == str(pdf) and out["figures_remade"] == [] and out["figures"] is None
    assert any(g.endswith("claims.json") for g in out["generated"])


def _comparison(rows, processor="Test CPU"):
    return {"comparison": rows, "provenance": [{"source_sha256": "ab" * 32, "processor": processor}]}


def test_reproducibility_sentence_from_saved_comparisons(tmp_path):
    """The paper's measured sentence is read from paper/measured/, never typed."""
    assert "No comparison of two runs is recorded" in paper.reproducibility_sentence(tmp_path)
    measured = tmp_path / "measured"
    measured.mkdir()
    same = {"identical": True, "same_verdict": True, "shift_over_halfwidth": 0.0,
            "verdict": "supported", "other_verdict": "supported"}
    never = {"identical": True, "same_verdict": True, "shift_over_halfwidth": None,
             "verdict": "not run", "other_verdict": "not run"}
    (measured / paper.MEASURED["rerun"]).write_text(json.dumps(_comparison(
        [{"id": "a", **same}, {"id": "b", **same}, {"id": "c", **never}])))
    (measured / paper.MEASURED["threads"]).write_text(json.dumps(_comparison(
        [{"id": "a", **same},
         {"id": "b", "identical": False, "same_verdict": False, "shift_over_halfwidth": 0.4,
          "verdict": "inconclusive", "other_verdict": "supported"},
         {"id": "c", **never}])))
    text = paper.reproducibility_sentence(tmp_path)
    assert "Test CPU" in text and "abababababababab" in text
    # "not run" in both runs is not counted as a measured claim
    assert "gave 2 of 2 measured claims bit for bit the same" in text
    assert "left 1 of 2 bit for bit the same" in text
    assert "at most 0.4 (median 0.2) half-widths" in text
    assert r"the verdicts of \texttt{b} changed" in text
