"""The figure runner: every ``figures/fig_<name>.py`` module, through the result cache, to files.

A figure module defines:

``NAME: str``
    Lower-case file stem, e.g. ``"phase_diagram"``; the outputs are ``<NAME>.pdf``/``.png``.
``CAPTION: str``
    LaTeX caption text; written to ``generated/figures/<NAME>_caption.tex`` for the paper.
``compute(preset: str) -> data``
    The data to draw, at the size the preset names, from an experiment (``run_experiment``,
    which computes any evidence) or a theory function; never evidence of its own. ``data`` is a
    DataFrame, or a dict of DataFrames/arrays; it must be picklable because it is cached.
``plot(data) -> matplotlib.figure.Figure``
    Only drawing. The cache key holds the module's source hash, so any edit of the module,
    even a colour, reruns ``compute``; keep slow work in ``analysis/`` behind its own
    :func:`analysis.cache.cached` call so that restyling a figure stays cheap.
``macros(data) -> dict[str, str]`` (optional)
    LaTeX macro names (letters only, no backslash) mapped to formatted values, so that every
    number in the text comes from a generated file: ``{"PhaseCritSigmaW": "1.73"}`` becomes
    ``\\newcommand{\\PhaseCritSigmaW}{1.73}`` in ``generated/macros/<NAME>.tex``.

:func:`run_figures` computes each figure through the cache (key: module, preset, package
version, the hash of the module's source and of the package code it imports, the optional inputs
present; :func:`figure_job`), plots it with the Agg backend, writes the PDF, the PNG,
the caption and the macros atomically, and rebuilds ``generated/macros.tex``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import pathlib
import pkgutil
import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Iterable, Sequence

from initaudit.analysis import cache, codehash, datasets
from initaudit.analysis import provenance as prov
from initaudit.analysis.datasets import DataUnavailable
from initaudit.analysis.presets import check_preset
from initaudit.figures import paths

#: Formats written for every figure: PDF for the paper, PNG for quick looks and the README.
FORMATS = ("pdf", "png")
PNG_DPI = 200
# No creation date in the PDF, so the same figure gives the same bytes on every run.
_SAVE_METADATA = {"pdf": {"CreationDate": None}, "png": {}}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_MACRO_RE = re.compile(r"^[A-Za-z]+$")
_NEWCOMMAND_RE = re.compile(r"\\newcommand\{\\([A-Za-z]+)\}")


class FigureModuleError(RuntimeError):
    """A figure module breaks the contract (missing attribute, bad NAME or macro name)."""


class FigureRunError(RuntimeError):
    """A figure's ``compute``, ``plot`` or ``macros`` raised; the original is the ``__cause__``.

    A separate type so that a bug inside a figure is never mistaken for bad command-line input
    (the command line turns ValueError into a one-line message, this keeps its traceback).
    """


@dataclass(frozen=True)
class FigureJob:
    """Cache config of one figure at one preset.

    Attributes:
        module: dotted module name, e.g. ``figures.fig_phase_diagram``.
        preset: the preset name.
        source_sha256: hash of the module's source file and of the package code it imports, so
            editing the figure or what it uses recomputes it.
        inputs: :func:`analysis.datasets.input_fingerprint`, so that a figure made with an
            optional input (``medical.txt``) is not served to a run without it.
    """

    module: str
    preset: str
    source_sha256: str
    inputs: str = ""


def figure_job(module: ModuleType, preset: str) -> FigureJob:
    """The cache config of ``module`` at ``preset`` with the optional inputs present now.

    Its code hash covers the figure module's own file and every package module it imports
    (:func:`analysis.codehash.code_sha256`), so editing an experiment a figure reads recomputes
    the figure.
    """
    code = hashlib.sha256((source_sha256(module) + codehash.code_sha256(module.__name__))
                          .encode("ascii")).hexdigest()
    return FigureJob(module.__name__, preset, code, datasets.input_fingerprint())


@dataclass
class FigureRecord:
    """What happened to one figure in a run.

    Attributes:
        name: the module's ``NAME``.
        module: dotted module name.
        status: the cache status (``cached``, ``computed``, ``forced``, ...).
        compute_seconds: time to compute or load the data.
        plot_seconds: time to plot and write the files.
        outputs: files written.
    """

    name: str
    module: str
    status: str
    compute_seconds: float
    plot_seconds: float
    outputs: list[pathlib.Path] = field(default_factory=list)
    reason: str = ""

    @property
    def computed(self) -> bool:
        return self.status not in ("cached", "skipped")


@dataclass
class PipelineSummary:
    """Result of :func:`run_figures`: one record per figure, in run order."""

    preset: str
    records: list[FigureRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def computed(self) -> list[str]:
        return [r.name for r in self.records if r.computed]

    @property
    def cached(self) -> list[str]:
        return [r.name for r in self.records if r.status == "cached"]

    @property
    def skipped(self) -> list[str]:
        return [r.name for r in self.records if r.status == "skipped"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (paths as strings)."""
        return {
            "preset": self.preset,
            "seconds": round(self.seconds, 3),
            "figures": [
                {**dataclasses.asdict(r), "outputs": [str(p) for p in r.outputs]}
                for r in self.records
            ],
        }

    def format(self) -> str:
        """A small text table: figure, status, seconds."""
        lines = [f"figures at preset {self.preset!r}:"]
        width = max((len(r.name) for r in self.records), default=0)
        for r in self.records:
            lines.append(
                f"  {r.name:<{width}}  {r.status:<10}  compute {r.compute_seconds:7.1f} s"
                f"  plot {r.plot_seconds:5.1f} s"
            )
            if r.reason:
                lines.append(f"    ({r.reason})")
        lines.append(
            f"  {len(self.computed)} computed, {len(self.cached)} cached, "
            f"{len(self.skipped)} skipped for missing data, {self.seconds:.1f} s in all"
        )
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Discovery


def _check_module(module: ModuleType) -> None:
    missing = [a for a in ("NAME", "CAPTION", "compute", "plot") if not hasattr(module, a)]
    if missing:
        raise FigureModuleError(
            f"{module.__name__} lacks {', '.join(missing)}; a figure module defines NAME, "
            "CAPTION, compute(preset) and plot(data)"
        )
    if not isinstance(module.NAME, str) or not _NAME_RE.match(module.NAME):
        raise FigureModuleError(
            f"{module.__name__}.NAME = {module.NAME!r}: use lower-case letters, digits and "
            "underscores (it names files and LaTeX inputs)"
        )


def discover() -> list[ModuleType]:
    """Import every ``figures/fig_*.py`` module, sorted by module name.

    Returns:
        The modules, each checked against the figure-module contract.

    Raises:
        FigureModuleError: if a module lacks part of the contract or two share a NAME.
    """
    import initaudit.figures as package

    names = sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("fig_")
    )
    modules = [importlib.import_module(f"{package.__name__}.{name}") for name in names]
    seen: dict[str, str] = {}
    for module in modules:
        _check_module(module)
        if module.NAME in seen:
            raise FigureModuleError(
                f"{module.__name__} and {seen[module.NAME]} both have NAME {module.NAME!r}"
            )
        seen[module.NAME] = module.__name__
    return modules


def figure_names(modules: Iterable[ModuleType] | None = None) -> list[str]:
    """NAME of every figure module (discovered when ``modules`` is None)."""
    return [m.NAME for m in (discover() if modules is None else modules)]


def _select(modules: list[ModuleType], only: str | Sequence[str] | None) -> list[ModuleType]:
    if only is None:
        return modules
    wanted = [only] if isinstance(only, str) else list(only)
    by_name = {}
    for m in modules:
        by_name[m.NAME] = m
        by_name[m.__name__.rsplit(".", 1)[-1]] = m  # also accept "fig_phase_diagram"
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        valid = ", ".join(m.NAME for m in modules) or "(none: no figures/fig_*.py modules)"
        raise ValueError(f"unknown figure {unknown[0]!r}; valid figures are {valid}")
    chosen = {by_name[w].__name__ for w in wanted}
    return [m for m in modules if m.__name__ in chosen]  # keep the sorted order


def source_sha256(module: ModuleType) -> str:
    """sha256 of the module's source file."""
    filename = getattr(module, "__file__", None)
    if not filename:
        raise FigureModuleError(f"{module.__name__} has no source file to hash")
    return hashlib.sha256(pathlib.Path(filename).read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Writing


def _macro_lines(module: ModuleType, data: Any) -> list[str]:
    if not hasattr(module, "macros"):
        return []
    values = module.macros(data)
    if not isinstance(values, dict):
        raise FigureModuleError(f"{module.__name__}.macros must return a dict, got {type(values).__name__}")
    lines = []
    for name, value in sorted(values.items()):
        if not isinstance(name, str) or not _MACRO_RE.match(name):
            raise FigureModuleError(
                f"{module.__name__}.macros: macro name {name!r} must be letters only, no backslash"
            )
        if not isinstance(value, str):
            raise FigureModuleError(
                f"{module.__name__}.macros: value of {name!r} must be an already formatted str, "
                f"got {type(value).__name__}"
            )
        lines.append(f"\\newcommand{{\\{name}}}{{{value}}}")
    return lines


def write_macros_index(generated: pathlib.Path | None = None,
                       names: Iterable[str] | None = None) -> pathlib.Path:
    """Rebuild ``generated/macros.tex`` to ``\\input`` every generated macro file.

    That is ``generated/*_macros.tex`` (e.g. the theory's) and each figure's
    ``generated/macros/<NAME>.tex``.

    Args:
        generated: the generated directory; :func:`figures.paths.generated_dir` when None.
        names: figure NAMEs to include (those whose file exists); every discovered figure when
            None. Files of figures that no longer exist are left out.

    Returns:
        The path of ``macros.tex``.

    Raises:
        FigureModuleError: if two figures define the same macro (LaTeX would stop on it).
    """
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    names = figure_names() if names is None else list(names)
    # Other generated macro files (theory.latex writes theory_macros.tex) come first and are
    # checked for clashes with the figures' macros too.
    sources = [(p.stem, p, f"generated/{p.name}") for p in sorted(generated.glob("*_macros.tex"))]
    sources += [(name, generated / "macros" / f"{name}.tex", f"generated/macros/{name}.tex")
                for name in sorted(names)]
    lines = ["% Generated by figures/pipeline.py; do not edit. One file per figure module."]
    owner: dict[str, str] = {}
    for name, path, relative in sources:
        if not path.is_file():
            continue
        for macro in _NEWCOMMAND_RE.findall(path.read_text(encoding="utf-8")):
            if macro in owner:
                raise FigureModuleError(
                    f"macro \\{macro} is defined by both {owner[macro]!r} and {name!r}"
                )
            owner[macro] = name
        # Relative to paper/, the directory LaTeX runs in.
        lines.append(f"\\input{{{relative}}}")
    index = generated / "macros.tex"
    cache.atomic_write_text(index, "\n".join(lines) + "\n")
    return index


def _update_manifest(generated: pathlib.Path, record: FigureRecord, job: FigureJob) -> None:
    """Remember at which preset each figure's files were made (read by ``initaudit paper``)."""
    manifest = read_manifest(generated)
    manifest[record.name] = {"module": job.module, "preset": job.preset,
                             "source_sha256": job.source_sha256, "inputs": job.inputs}
    _write_manifest(generated, manifest)


def _write_manifest(generated: pathlib.Path, manifest: dict) -> None:
    cache.atomic_write_text(generated / "figures" / "manifest.json",
                            json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def read_manifest(generated: pathlib.Path | None = None) -> dict[str, dict]:
    """Per-figure ``{"module", "preset", "source_sha256", "inputs"}`` of the files on disk ({} if
    none)."""
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    try:
        return json.loads((generated / "figures" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _outputs(name: str, generated: pathlib.Path) -> list[pathlib.Path]:
    fig_dir = generated / "figures"
    return [*(fig_dir / f"{name}.{fmt}" for fmt in FORMATS), fig_dir / f"{name}_caption.tex",
            generated / "macros" / f"{name}.tex"]


def _write_not_run(module: ModuleType, preset: str, reason: str, generated: pathlib.Path) -> None:
    """Replace a skipped figure's files by ``<NAME>_notrun.tex``, the reason in words."""
    from initaudit.analysis.claims import tex_escape

    for path in _outputs(module.NAME, generated):
        path.unlink(missing_ok=True)
    cache.atomic_write_text(generated / "figures" / f"{module.NAME}_notrun.tex",
                            f"% Generated by figures/pipeline.py at preset {preset}.\n"
                            f"{tex_escape(reason).replace('--', '-{}-')}\n")
    manifest = read_manifest(generated)
    if manifest.pop(module.NAME, None) is not None:
        _write_manifest(generated, manifest)


def _render(module: ModuleType, data: Any, preset: str, generated: pathlib.Path) -> list[pathlib.Path]:
    """Plot one figure and write its files; returns the paths written."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    name = module.NAME
    fig_dir = generated / "figures"
    fig = module.plot(data)
    if not isinstance(fig, Figure):
        raise FigureModuleError(f"{module.__name__}.plot must return a matplotlib Figure, "
                                f"got {type(fig).__name__}")
    written = []
    try:
        for fmt in FORMATS:
            target = fig_dir / f"{name}.{fmt}"
            # Written under a temporary name and renamed: a crash mid-save leaves the old file.
            with cache.atomic_output(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=PNG_DPI, bbox_inches="tight",
                            metadata=_SAVE_METADATA[fmt])
            written.append(target)
    finally:
        plt.close(fig)

    caption = fig_dir / f"{name}_caption.tex"
    cache.atomic_write_text(caption, str(module.CAPTION).strip() + "\n")
    written.append(caption)

    source = module.__name__.replace(".", "/") + ".py"
    header = f"% Generated by {source} at preset {preset}; do not edit."
    macros = generated / "macros" / f"{name}.tex"
    # Always written, even empty, so a figure that stops defining a macro loses it.
    cache.atomic_write_text(macros, "\n".join([header, *_macro_lines(module, data)]) + "\n")
    written.append(macros)
    (fig_dir / f"{name}_notrun.tex").unlink(missing_ok=True)
    return written


# --------------------------------------------------------------------------------------------
# Running


def _cells_provenance(mark: int) -> list[dict]:
    """Distinct provenance of the cached results read or written since event ``mark``."""
    records = []
    for event in cache.STATS.events[mark:]:
        if event.path is None:
            continue
        try:
            records.append(cache.read_header(event.path).get("provenance") or {})
        except (OSError, cache.CorruptCacheError):
            continue
    return prov.distinct(records)


def figure_provenance(module: ModuleType, preset: str) -> list[dict]:
    """Distinct provenance records behind the cached data of ``module`` at ``preset``.

    The figure job's own record and those of the cells it read (experiment runs computed in
    worker processes carry their own thread counts). Empty when nothing is cached.
    """
    path = cache.cache_path(figure_job(module, preset))
    try:
        header = cache.read_header(path)
    except (OSError, cache.CorruptCacheError):
        return []
    return prov.distinct([header.get("provenance") or {}, *header.get("cells_provenance", [])])


def run_figures(
    preset: str,
    only: str | Sequence[str] | None = None,
    force: bool = False,
    *,
    generated: pathlib.Path | None = None,
    progress: bool = True,
) -> PipelineSummary:
    """Compute (through the cache), plot and write every figure, or those in ``only``.

    Args:
        preset: ``smoke``, ``cpu`` or ``paper``.
        only: a figure NAME (or ``fig_<name>`` module name), or several; None for all.
        force: recompute even where a cached result exists.
        generated: output directory; :func:`figures.paths.generated_dir` when None.
        progress: show a tqdm progress bar on stderr.

    Returns:
        A :class:`PipelineSummary` (computed vs cached and seconds per figure).

    Raises:
        ValueError: unknown preset, or a name in ``only`` that is not a figure (the message
            lists the valid names).
        FigureRunError: a figure's own code raised (chained to the original exception).
        FigureModuleError: a figure module breaks the contract.
    """
    import matplotlib
    from tqdm import tqdm

    check_preset(preset)
    matplotlib.use("Agg")  # files only, never a window; also works where there is no display
    generated = paths.generated_dir() if generated is None else pathlib.Path(generated)
    modules = discover()
    selected = _select(modules, only)

    summary = PipelineSummary(preset)
    start = time.perf_counter()
    bar = tqdm(selected, desc=f"figures [{preset}]", unit="fig", file=sys.stderr,
               disable=not progress)
    for module in bar:
        bar.set_postfix_str(module.NAME)
        job = figure_job(module, preset)
        t0 = time.perf_counter()
        mark = len(cache.STATS.events)
        try:
            data, event = cache.cached_with_event(
                job, lambda j, m=module: m.compute(j.preset), force=force, label=module.NAME,
                header_extra=lambda mark=mark: {"cells_provenance": _cells_provenance(mark)},
            )
        except DataUnavailable as exc:
            # A figure whose input data is not on this machine is skipped, not fatal. Its
            # files of an earlier run are removed (they would show results this run did not
            # compute) and the paper shows the reason instead (NAME_notrun.tex).
            warnings.warn(f"figure {module.NAME!r} skipped: {exc}", stacklevel=2)
            _write_not_run(module, preset, str(exc), generated)
            summary.records.append(FigureRecord(module.NAME, module.__name__, "skipped",
                                                time.perf_counter() - t0, 0.0, [],
                                                reason=str(exc)))
            continue
        except Exception as exc:
            raise FigureRunError(f"figure {module.NAME!r} failed in compute({preset!r}): "
                                 f"{type(exc).__name__}: {exc}") from exc
        t1 = time.perf_counter()
        try:
            outputs = _render(module, data, preset, generated)
        except FigureModuleError:
            raise
        except Exception as exc:
            raise FigureRunError(f"figure {module.NAME!r} failed while plotting or writing: "
                                 f"{type(exc).__name__}: {exc}") from exc
        record = FigureRecord(module.NAME, module.__name__, event.status, t1 - t0,
                              time.perf_counter() - t1, outputs)
        _update_manifest(generated, record, job)
        summary.records.append(record)
    bar.close()
    write_macros_index(generated, [m.NAME for m in modules])
    summary.seconds = time.perf_counter() - start
    return summary
