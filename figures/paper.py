"""Generated LaTeX for the paper, and the PDF build.

:func:`write_generated` writes what the manuscript ``\\input``s besides the figures: the theory
equations (printed by :func:`theory.latex.export_all` from the same sympy expressions the code
evaluates), ``macros.tex`` and ``build_info.tex``. :func:`build_pdf` runs latexmk in ``paper/``
with its output in ``paper/build/``.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import shutil
import statistics
import subprocess

from analysis import cache
from analysis.presets import check_preset
from figures import paths, pipeline

#: Debian packages that build the paper and read it back (pdftotext, for the tests); the same
#: list as ``make latex``.
TEX_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-science", "latexmk",
                "poppler-utils")

#: Lines of the LaTeX log shown when the build fails.
LOG_TAIL_LINES = 40


class PaperError(RuntimeError):
    """The paper cannot be generated or built; the message says why and what to do."""


class LatexNotFoundError(PaperError):
    """latexmk (or pdflatex) is not on PATH."""


class LatexBuildError(PaperError):
    """latexmk ran and failed; the message ends with the tail of the LaTeX log."""


class PaperIncompleteError(LatexBuildError):
    """The PDF was built but shows a broken mark; the message lists each one.

    A generated macro the text uses and the code did not define (a red ``??``), a missing
    generated file, or an undefined reference or citation. The PDF is left in place.
    """

    def __init__(self, pdf: pathlib.Path, problems: list[str]):
        self.pdf = pdf
        self.problems = problems
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{pdf} was built but is incomplete ({len(problems)} broken mark(s)):\n  "
                         + "\n  ".join(shown) + more)


#: Lines of a LaTeX log that mean a reader sees a broken mark.
_LOG_PROBLEMS = (
    re.compile(r"^initaudit-paper: (.*)$"),
    re.compile(r"^LaTeX Warning: (Reference .* undefined).*$"),
    re.compile(r"^LaTeX Warning: (Citation .* undefined).*$"),
    re.compile(r"^Package natbib Warning: (Citation .* undefined).*$"),
)


def log_problems(log: pathlib.Path) -> list[str]:
    """The broken marks a LaTeX log reports (see :class:`PaperIncompleteError`), in order.

    Args:
        log: ``main.log`` of the last LaTeX pass.

    Returns:
        One line per distinct problem; empty for a clean build.
    """
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return [f"cannot read {log}: {exc}"]
    found = []
    for line in text.splitlines():
        for pattern in _LOG_PROBLEMS:
            m = pattern.match(line.strip())
            if m:
                found.append(m.group(1).strip())
    return list(dict.fromkeys(found))


def install_hint(missing: str = "latexmk") -> str:
    """One line saying what to install to get ``missing``."""
    return (
        f"{missing} not found; to build the paper install LaTeX: on Debian/Ubuntu "
        f"`apt-get install --no-install-recommends {' '.join(TEX_PACKAGES)}` (or `make latex`); "
        "elsewhere install TeX Live with latexmk"
    )


def require_latex() -> str:
    """Path of latexmk, after checking that it and pdflatex are on PATH.

    Raises:
        LatexNotFoundError: with the install instructions.
    """
    latexmk = shutil.which("latexmk")
    if latexmk is None:
        raise LatexNotFoundError(install_hint("latexmk"))
    if shutil.which("pdflatex") is None:
        raise LatexNotFoundError(install_hint("pdflatex"))
    return latexmk


def write_generated(preset: str, *, generated: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Write the generated LaTeX that does not come from a figure module.

    Args:
        preset: the preset the paper is built at (recorded in ``build_info.tex``).
        generated: output directory; :func:`figures.paths.generated_dir` when None.

    Returns:
        The files written: the theory equations, ``build_info.tex`` and ``macros.tex``.

    Raises:
        ValueError: unknown preset.
        PaperError: ``theory.latex`` is not available.
    """
    check_preset(preset)
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    generated.mkdir(parents=True, exist_ok=True)
    try:
        from theory import latex as theory_latex
    except ModuleNotFoundError as exc:
        # Only the absence of theory.latex itself is explained; a missing dependency inside it
        # is a real error and keeps its traceback.
        if exc.name not in ("theory", "theory.latex"):
            raise
        raise PaperError(
            "theory.latex is not available, so the theory equations cannot be exported; "
            "the paper needs theory/latex.py with export_all(directory)"
        ) from None

    written = [pathlib.Path(p) for p in theory_latex.export_all(generated)]

    from analysis import claims, provenance

    info = generated / "build_info.tex"
    computed = provenance.summary_line(claims.ledger_provenance(preset))
    cache.atomic_write_text(
        info,
        "% Generated by figures/paper.py; do not edit.\n"
        f"\\newcommand{{\\InitauditVersion}}{{{cache.package_version()}}}\n"
        f"\\newcommand{{\\InitauditPreset}}{{{preset}}}\n"
        f"\\newcommand{{\\InitauditSource}}{{{provenance.source_sha256()[:16]}}}\n"
        f"\\newcommand{{\\InitauditComputedWith}}{{{claims.tex_escape(computed)}}}\n",
    )
    written.append(info)
    written.append(write_reproducibility(generated=generated))
    written.extend(write_claims(preset, generated=generated))
    written.append(pipeline.write_macros_index(generated))
    return written


#: Saved comparisons of two ledgers (``initaudit claims --against ... --json``), in
#: ``paper/measured/``: a second run on the same machine, and the same run with two threads per
#: training cell instead of one. README ("What is reproducible") says how they were made.
MEASURED = {"rerun": "rerun_same_machine.json", "threads": "threads_1_vs_2.json"}


def _comparison_summary(path: pathlib.Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["comparison"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    run = [r for r in rows if r.get("verdict") != "not run" or r.get("other_verdict") != "not run"]
    shifts = sorted(float(r["shift_over_halfwidth"]) for r in run
                    if r.get("shift_over_halfwidth") is not None
                    and math.isfinite(float(r["shift_over_halfwidth"])))
    prov = (data.get("provenance") or [{}])[0]
    return {"n": len(run), "identical": sum(bool(r["identical"]) for r in run),
            "same_verdict": sum(bool(r["same_verdict"]) for r in run),
            "changed": [r["id"] for r in run if not r["same_verdict"]],
            "max_shift": shifts[-1] if shifts else math.nan,
            "median_shift": statistics.median(shifts) if shifts else math.nan,
            "source": str(prov.get("source_sha256", "unknown"))[:16],
            "processor": str(prov.get("processor", "unknown"))}


def reproducibility_sentence(paper: pathlib.Path | None = None) -> str:
    """The measured part of the paper's reproducibility paragraph, in words.

    Built from the saved comparisons of :data:`MEASURED`; says so when there are none.
    """
    from analysis.claims import tex_escape

    folder = (paths.paper_dir() if paper is None else pathlib.Path(paper)) / "measured"
    rerun = _comparison_summary(folder / MEASURED["rerun"])
    threads = _comparison_summary(folder / MEASURED["threads"])
    if rerun is None and threads is None:
        return ("No comparison of two runs is recorded for this version "
                "(\\texttt{paper/measured/} is empty).")
    parts = []
    first = rerun or threads
    parts.append(f"Measured with the package source \\texttt{{{first['source']}}} on "
                 f"{tex_escape(first['processor'])}, with the ledgers of the \\texttt{{cpu}} "
                 f"preset compared claim by claim (\\texttt{{initaudit claims -{{}}-against}}): ")
    if rerun is not None:
        parts.append(f"a second run on the same machine gave {rerun['identical']} of "
                     f"{rerun['n']} measured claims bit for bit the same"
                     + ("" if rerun["identical"] == rerun["n"] else
                        f" and {rerun['same_verdict']} of {rerun['n']} the same verdict"))
    if threads is not None:
        changed = ("no verdict changed" if not threads["changed"] else
                   "the verdicts of " + ", ".join(r"\texttt{" + tex_escape(c) + "}"
                                                  for c in threads["changed"]) + " changed")
        def size(x: float) -> str:
            return f"{x:.2g}" if x >= 1e-3 else "less than 0.001"

        parts.append(f"{'; ' if rerun is not None else ''}running every training cell with two "
                     f"threads instead of one left {threads['identical']} of {threads['n']} "
                     f"bit for bit the same, moved the estimates by at most "
                     f"{size(threads['max_shift'])} (median {size(threads['median_shift'])}) "
                     f"half-widths of their 95\\% intervals, and {changed}")
    return "".join(parts) + "."


def write_reproducibility(*, generated: pathlib.Path | None = None,
                          paper: pathlib.Path | None = None) -> pathlib.Path:
    """``generated/reproducibility_macros.tex``: ``\\ReproMeasured``, the sentence above."""
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    path = generated / "reproducibility_macros.tex"
    cache.atomic_write_text(path, "% Generated by figures/paper.py from paper/measured/; do not "
                            "edit.\n\\newcommand{\\ReproMeasured}{"
                            + reproducibility_sentence(paper) + "}\n")
    return path


def write_claims(preset: str, *, generated: pathlib.Path | None = None) -> list[pathlib.Path]:
    """Write the claims ledger for the paper from the cached figure data at ``preset``.

    ``generated/claims_macros.tex`` (picked up by ``macros.tex`` like every ``*_macros.tex``)
    defines the verdict macros and ``\\ClaimsTable``, the table's rows: a macro rather than an
    ``\\input`` inside the table, because LaTeX runs file hooks after an input file, and a
    following ``\\bottomrule`` would then no longer start its row. ``generated/claims.json``
    holds the full ledger and its provenance (``{"preset", "claims", "provenance"}``).

    Returns:
        The two paths.
    """
    from analysis import claims

    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    table = claims.evaluate(preset)
    macros = generated / "claims_macros.tex"
    lines = ["% Generated by figures/paper.py from analysis/claims.py; do not edit."]
    lines += [f"\\newcommand{{\\{k}}}{{{v}}}" for k, v in sorted(claims.verdict_macros(table).items())]
    lines.append("\\newcommand{\\ClaimsTable}{%\n" + claims.latex_table(table) + "}")
    cache.atomic_write_text(macros, "\n".join(lines) + "\n")
    ledger = generated / "claims.json"
    cache.atomic_write_text(ledger, json.dumps(
        {"preset": preset, "claims": json.loads(table.to_json(orient="records")),
         "provenance": claims.ledger_provenance(preset)}, indent=2) + "\n")
    return [macros, ledger]


def stale_figures(preset: str, names: list[str] | None = None,
                  generated: pathlib.Path | None = None) -> list[str]:
    """Figures whose files are missing or out of date.

    Args:
        preset: the preset the paper is being built at.
        names: figure NAMEs to check; every discovered figure when None.
        generated: the generated directory; :func:`figures.paths.generated_dir` when None.

    Returns:
        The NAMEs that ``initaudit paper`` must run before building: no PDF, made at another
        preset, by other code (the figure module or anything it imports) or with other
        optional inputs.
    """
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    modules = {m.NAME: m for m in pipeline.discover()}
    names = list(modules) if names is None else names
    manifest = pipeline.read_manifest(generated)

    def current(name: str) -> bool:
        made = manifest.get(name, {})
        if not (generated / "figures" / f"{name}.pdf").is_file() or made.get("preset") != preset:
            return False
        if name not in modules:
            return True
        job = pipeline.figure_job(modules[name], preset)
        # made by the code and with the optional inputs of this checkout
        return made.get("source_sha256") == job.source_sha256 and \
            made.get("inputs", "") == job.inputs

    return [name for name in names if not current(name)]


def _tail(path: pathlib.Path, fallback: str) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = fallback
    return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


def build_pdf(*, paper: pathlib.Path | None = None) -> pathlib.Path:
    """Build ``main.pdf`` with latexmk.

    Runs ``latexmk -pdf -interaction=nonstopmode -halt-on-error -outdir=<paper>/build main.tex``
    in the paper directory (latexmk runs bibtex and reruns pdflatex as needed).

    Args:
        paper: the paper directory; :func:`figures.paths.paper_dir` when None.

    Returns:
        The path of the PDF.

    Raises:
        LatexNotFoundError: latexmk or pdflatex is not installed (message says what to install).
        LatexBuildError: LaTeX failed; the message ends with the tail of the log.
        PaperIncompleteError: the PDF shows a broken mark (an undefined generated macro, a
            missing generated file, an undefined reference); the PDF stays for inspection.
    """
    latexmk = require_latex()
    paper = paths.paper_dir() if paper is None else pathlib.Path(paper)
    build = paper / "build"
    if not (paper / "main.tex").is_file():
        raise PaperError(f"{paper / 'main.tex'} not found")
    build.mkdir(parents=True, exist_ok=True)
    cmd = [latexmk, "-pdf", "-interaction=nonstopmode", "-halt-on-error",
           f"-outdir={build}", "main.tex"]
    proc = subprocess.run(cmd, cwd=paper, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", check=False)
    log = build / "main.log"
    if proc.returncode != 0:
        raise LatexBuildError(
            f"latexmk failed with exit status {proc.returncode}; last lines of {log}:\n"
            + _tail(log, proc.stdout)
        )
    pdf = build / "main.pdf"
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise LatexBuildError(f"latexmk succeeded but {pdf} is missing or empty:\n"
                              + _tail(log, proc.stdout))
    problems = log_problems(log)
    if problems:
        raise PaperIncompleteError(pdf, problems)
    return pdf
