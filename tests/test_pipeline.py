"""The figure runner, on a small fake figure module (the real ones have their own smoke test)."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

from initaudit.figures import cli, pipeline

FAKE_SOURCE = '''
import matplotlib.pyplot as plt
import pandas as pd

NAME = "fake"
CAPTION = r"A fake figure with $q^*$."
CALLS = []


def compute(preset):
    CALLS.append(preset)
    return pd.DataFrame({"x": [0, 1, 2], "y": [0.0, 1.0, 4.0]})


def plot(data):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(data["x"], data["y"])
    return fig


def macros(data):
    return {"FakeMax": f"{data['y'].max():.1f}", "FakePoints": str(len(data))}
'''


def _load(path: pathlib.Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fake(tmp_path, monkeypatch, cache_tmp):
    """A figure module 'fake' as the only discovered figure; returns a small namespace."""
    source = tmp_path / "fig_fake.py"
    source.write_text(FAKE_SOURCE)
    module = _load(source, "tests_fig_fake")
    modules = [module]
    monkeypatch.setattr(pipeline, "discover", lambda: list(modules))
    paper = tmp_path / "paper"
    monkeypatch.setenv("INITAUDIT_PAPER_DIR", str(paper))

    class Fake:
        pass

    f = Fake()
    f.module, f.source, f.modules, f.generated = module, source, modules, paper / "generated"
    return f


def test_first_run_computes_and_writes_everything(fake):
    summary = pipeline.run_figures("smoke", progress=False)
    assert [r.status for r in summary.records] == ["computed"]
    assert fake.module.CALLS == ["smoke"]
    figs = fake.generated / "figures"
    assert (figs / "fake.pdf").read_bytes().startswith(b"%PDF")
    assert (figs / "fake.png").read_bytes().startswith(b"\x89PNG")
    assert (figs / "fake_caption.tex").read_text().strip() == "A fake figure with $q^*$."
    macros = (fake.generated / "macros" / "fake.tex").read_text()
    assert "\\newcommand{\\FakeMax}{4.0}" in macros and "\\newcommand{\\FakePoints}{3}" in macros
    assert "at preset smoke" in macros
    index = (fake.generated / "macros.tex").read_text()
    assert "\\input{generated/macros/fake.tex}" in index
    assert pipeline.read_manifest(fake.generated)["fake"]["preset"] == "smoke"
    # Nothing temporary is left behind.
    assert not [p for p in fake.generated.rglob("*") if p.name.endswith(".tmp")]


def test_second_run_is_cached_and_force_recomputes(fake):
    pipeline.run_figures("smoke", progress=False)
    second = pipeline.run_figures("smoke", progress=False)
    assert [r.status for r in second.records] == ["cached"]
    assert second.cached == ["fake"] and second.computed == []
    assert fake.module.CALLS == ["smoke"]
    forced = pipeline.run_figures("smoke", force=True, progress=False)
    assert [r.status for r in forced.records] == ["forced"]
    assert fake.module.CALLS == ["smoke", "smoke"]


def test_other_preset_is_a_different_result(fake):
    pipeline.run_figures("smoke", progress=False)
    summary = pipeline.run_figures("cpu", progress=False)
    assert summary.computed == ["fake"]
    assert fake.module.CALLS == ["smoke", "cpu"]


def test_editing_the_module_invalidates_its_cache(fake):
    pipeline.run_figures("smoke", progress=False)
    fake.source.write_text(FAKE_SOURCE + "\n# restyled\n")
    fake.modules[:] = [_load(fake.source, "tests_fig_fake")]
    summary = pipeline.run_figures("smoke", progress=False)
    assert summary.computed == ["fake"]


def test_unknown_only_lists_valid_names(fake):
    with pytest.raises(ValueError, match=r"unknown figure 'nope'; valid figures are fake"):
        pipeline.run_figures("smoke", only="nope", progress=False)
    summary = pipeline.run_figures("smoke", only=["fake"], progress=False)
    assert [r.name for r in summary.records] == ["fake"]


def test_unknown_preset(fake):
    with pytest.raises(ValueError, match="valid presets are smoke, cpu, paper"):
        pipeline.run_figures("huge", progress=False)


def test_failed_save_keeps_previous_outputs(fake, monkeypatch):
    """A crash while saving leaves the old PDF in place and no temporary file."""
    from matplotlib.figure import Figure

    pipeline.run_figures("smoke", progress=False)
    pdf = fake.generated / "figures" / "fake.pdf"
    before = pdf.read_bytes()

    def broken_savefig(self, fname, **kwargs):
        pathlib.Path(fname).write_bytes(b"%PDF-partial")
        raise RuntimeError("crashed mid-save")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(pipeline.FigureRunError, match="crashed mid-save"):
        pipeline.run_figures("smoke", progress=False)
    assert pdf.read_bytes() == before
    assert not [p for p in pdf.parent.iterdir() if p.name.endswith(".tmp")]


def test_outputs_are_reproducible(fake):
    pipeline.run_figures("smoke", progress=False)
    pdf = fake.generated / "figures" / "fake.pdf"
    first = pdf.read_bytes()
    pipeline.run_figures("smoke", progress=False)
    assert pdf.read_bytes() == first  # no timestamp in the PDF


def test_bug_in_a_figure_is_not_reported_as_bad_input(fake, monkeypatch, capsys):
    """A ValueError inside compute() is an internal failure (exit 1, one line naming the figure),
    not bad input (exit 2); INITAUDIT_DEBUG=1 shows its traceback."""
    def compute(preset):
        raise ValueError("bug in the figure")

    fake.module.compute = compute
    monkeypatch.delenv("INITAUDIT_DEBUG", raising=False)
    assert cli.main(["figures", "--preset", "smoke"]) == 1
    err = [l for l in capsys.readouterr().err.splitlines() if "error:" in l]
    assert len(err) == 1 and "internal error" in err[0] and "bug in the figure" in err[0]
    monkeypatch.setenv("INITAUDIT_DEBUG", "1")
    with pytest.raises(pipeline.FigureRunError, match="bug in the figure") as info:
        cli.main(["figures", "--preset", "smoke"])
    assert isinstance(info.value.__cause__, ValueError)


def test_bad_macro_name_is_rejected(fake):
    fake.module.macros = lambda data: {"Fake_Max": "1"}
    with pytest.raises(pipeline.FigureModuleError, match="letters only"):
        pipeline.run_figures("smoke", progress=False)


def test_duplicate_macro_across_figures_is_rejected(fake, tmp_path):
    other_source = tmp_path / "fig_other.py"
    other_source.write_text(FAKE_SOURCE.replace('NAME = "fake"', 'NAME = "other"'))
    fake.modules.append(_load(other_source, "tests_fig_other"))
    with pytest.raises(pipeline.FigureModuleError, match=r"\\FakeMax is defined by both"):
        pipeline.run_figures("smoke", progress=False)


def test_index_includes_other_generated_macro_files(fake):
    fake.generated.mkdir(parents=True)
    theory = fake.generated / "theory_macros.tex"
    theory.write_text("\\newcommand{\\QStar}{1.2}\n")
    pipeline.run_figures("smoke", progress=False)
    index = (fake.generated / "macros.tex").read_text()
    assert index.index("{generated/theory_macros.tex}") < index.index("{generated/macros/fake.tex}")
    theory.write_text("\\newcommand{\\FakeMax}{1.2}\n")
    with pytest.raises(pipeline.FigureModuleError, match="both 'theory_macros' and 'fake'"):
        pipeline.write_macros_index(fake.generated)


def test_module_contract_is_checked():
    import types

    broken = types.ModuleType("initaudit.figures.fig_broken")
    broken.NAME = "broken"
    with pytest.raises(pipeline.FigureModuleError, match="lacks CAPTION, compute, plot"):
        pipeline._check_module(broken)
    broken.CAPTION, broken.compute, broken.plot = "", None, None
    broken.NAME = "Bad Name"
    with pytest.raises(pipeline.FigureModuleError, match="lower-case"):
        pipeline._check_module(broken)


def test_real_figure_modules_follow_the_contract():
    # discover() imports and checks every figures/fig_*.py there is (possibly none yet).
    for module in pipeline.discover():
        assert module.__name__.startswith("initaudit.figures.fig_")


def test_cli_figures_command(fake, capsys):
    assert cli.main(["figures", "--preset", "smoke", "--only", "fake", "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["preset"] == "smoke"
    assert [f["status"] for f in data["figures"]] == ["computed"]
    assert cli.main(["figures", "--preset", "smoke"]) == 0
    out = capsys.readouterr().out
    assert "fake" in out and "cached" in out and "0 computed, 1 cached" in out


def test_cli_unknown_only_is_one_line(fake, capsys):
    assert cli.main(["figures", "--preset", "smoke", "--only", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "initaudit: error: unknown figure 'nope'; valid figures are fake"


def test_progress_goes_to_stderr(fake, capsys):
    pipeline.run_figures("smoke", progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "figures [smoke]" in captured.err


def test_summary_format(fake):
    summary = pipeline.run_figures("smoke", progress=False)
    text = summary.format()
    assert "figures at preset 'smoke'" in text and "1 computed, 0 cached" in text
    assert json.dumps(summary.to_dict())  # JSON-ready




def test_figure_without_its_input_says_why_and_drops_old_files(fake, monkeypatch):
    """A figure whose data is absent is skipped: its files of an earlier run go (they would show
    results this run did not compute) and the paper gets the reason in words instead."""
    from initaudit.analysis.datasets import DataUnavailable

    pipeline.run_figures("smoke", progress=False)
    figs = fake.generated / "figures"
    assert (figs / "fake.pdf").is_file() and (fake.generated / "macros" / "fake.tex").is_file()

    def absent(preset):
        raise DataUnavailable("medical.txt not found; pass --data-dir DIR")

    monkeypatch.setattr(fake.module, "compute", absent)
    with pytest.warns(UserWarning, match="skipped"):
        summary = pipeline.run_figures("smoke", progress=False, force=True)
    assert summary.skipped == ["fake"]
    assert not (figs / "fake.pdf").exists() and not (figs / "fake.png").exists()
    assert not (fake.generated / "macros" / "fake.tex").exists()
    note = (figs / "fake_notrun.tex").read_text()
    # "--" kept as two hyphens (LaTeX would print an en dash)
    assert "medical.txt not found; pass -{}-data-dir DIR" in note
    assert "fake" not in pipeline.read_manifest(fake.generated)
    # Once the data is back, the figure returns and the note goes.
    monkeypatch.undo()
    monkeypatch.setattr(pipeline, "discover", lambda: list(fake.modules))
    monkeypatch.setenv("INITAUDIT_PAPER_DIR", str(fake.generated.parent))
    pipeline.run_figures("smoke", progress=False, force=True)
    assert (figs / "fake.pdf").is_file() and not (figs / "fake_notrun.tex").exists()


def test_figure_key_follows_the_optional_inputs(fake, monkeypatch, tmp_path):
    """A figure made with medical.txt present is not served to a run without it, nor back."""
    from initaudit.analysis import cache

    pipeline.run_figures("smoke", progress=False)
    without = pipeline.figure_job(fake.module, "smoke")
    data = tmp_path / "data"
    data.mkdir()
    (data / "medical.txt").write_text("the human brain has neurons .\n")
    monkeypatch.setenv("INITAUDIT_DATA_DIR", str(data))
    with_file = pipeline.figure_job(fake.module, "smoke")
    assert cache.cache_key(with_file) != cache.cache_key(without)
    assert "medical.txt:" in with_file.inputs
    summary = pipeline.run_figures("smoke", progress=False)
    assert summary.computed == ["fake"]
    # The cells' provenance reaches the figure's header.
    records = pipeline.figure_provenance(fake.module, "smoke")
    assert records and records[0]["source_sha256"] and records[0]["threads"] >= 1


def test_figure_modules_never_import_one_another():
    """Shared words, numbers and styles live in figures.text, figures.style and
    figures.lm_settings; no fig_* module has another fig_* module in its import closure."""
    import pathlib

    from initaudit.analysis import codehash

    names = sorted(p.stem for p in (pathlib.Path(codehash.__file__).resolve().parents[1]
                                    / "figures").glob("fig_*.py"))
    assert len(names) >= 20
    for name in names:
        module = f"initaudit.figures.{name}"
        others = [m for m in codehash.closure(module)
                  if m.startswith("initaudit.figures.fig_") and m != module]
        assert not others, f"{module} imports {others}"
