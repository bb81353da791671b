"""Where the paper and its generated files live.

::

    <repo>/paper/main.tex               the manuscript (tracked)
    <repo>/paper/generated/             everything the code writes for the paper (git-ignored)
    <repo>/paper/generated/figures/     <NAME>.pdf, <NAME>.png, <NAME>_caption.tex
    <repo>/paper/generated/macros/      <NAME>.tex: one \\newcommand per number a figure reports
    <repo>/paper/generated/macros.tex   \\input of every file in macros/
    <repo>/paper/build/                 latexmk output, main.pdf (git-ignored)

The repository root is the directory holding ``pyproject.toml`` above this package. Setting
``INITAUDIT_PAPER_DIR`` moves the whole ``paper/`` tree elsewhere (the tests build a copy of the
paper in a temporary directory that way). Functions, not constants, so that the environment is
read when a path is needed and importing this module never fails.
"""

from __future__ import annotations

import os
import pathlib

#: Environment variable that relocates the paper directory.
ENV_PAPER_DIR = "INITAUDIT_PAPER_DIR"


def repo_root() -> pathlib.Path:
    """The source checkout: the directory with ``pyproject.toml`` that contains ``figures/``.

    Raises:
        RuntimeError: when the package is installed outside a checkout (the paper sources are
            not packaged); the message says what to do.
    """
    root = pathlib.Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root
    raise RuntimeError(
        f"no source checkout found above {pathlib.Path(__file__).parent}; the paper is built "
        f"from a clone of the repository (or set {ENV_PAPER_DIR} to a copy of paper/)"
    )


def paper_dir() -> pathlib.Path:
    """``paper/`` of the checkout, or ``$INITAUDIT_PAPER_DIR``."""
    env = os.environ.get(ENV_PAPER_DIR)
    if env:
        return pathlib.Path(env).expanduser().resolve()
    return repo_root() / "paper"


def generated_dir() -> pathlib.Path:
    """``paper/generated/``: all generated LaTeX, macros and figures (git-ignored)."""
    return paper_dir() / "generated"


def figures_dir() -> pathlib.Path:
    """``paper/generated/figures/``: one PDF and one PNG per figure module."""
    return generated_dir() / "figures"


def macros_dir() -> pathlib.Path:
    """``paper/generated/macros/``: one ``<NAME>.tex`` of ``\\newcommand`` lines per figure."""
    return generated_dir() / "macros"


def build_dir() -> pathlib.Path:
    """``paper/build/``: latexmk's output directory (git-ignored)."""
    return paper_dir() / "build"
