"""One rule for where computations run (models/device.py), and its place in the cache key and
the provenance record."""

from __future__ import annotations

import pytest
import torch

from initaudit.analysis import cache, provenance
from initaudit.analysis.propagate import PropagationConfig
from initaudit.models import device

HAS_CUDA = torch.cuda.is_available()
HERE = "cuda" if HAS_CUDA else "cpu"


@pytest.fixture
def no_device_env(monkeypatch):
    # set, then delete: the teardown restores the variable's state before the test, also when
    # the code under test set it (the command line exports --device)
    monkeypatch.setenv(device.ENV_DEVICE, "auto")
    monkeypatch.delenv(device.ENV_DEVICE)
    yield


def test_auto_is_cuda_when_torch_sees_a_gpu_else_cpu(no_device_env):
    assert device.device_name() == HERE
    assert device.device_name("auto") == HERE
    assert device.device_name("cpu") == "cpu"
    assert device.resolve_device("cpu") == torch.device("cpu")
    given = torch.device("cpu")
    assert device.resolve_device(given) is given


def test_the_environment_names_the_device(no_device_env, monkeypatch):
    monkeypatch.setenv(device.ENV_DEVICE, "cpu")
    assert device.device_name() == "cpu"
    monkeypatch.setenv(device.ENV_DEVICE, "tpu")
    with pytest.raises(ValueError, match="valid devices are auto, cpu, cuda"):
        device.device_name()


def test_unknown_device_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="unknown device 'gpu'; valid devices are auto, cpu, cuda"):
        device.device_name("gpu")


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_what_is_valid_here():
    with pytest.raises(ValueError, match="no CUDA device here; valid devices on this machine"):
        device.device_name("cuda")


def test_results_off_the_cpu_are_keyed_apart(no_device_env, monkeypatch):
    cfg = PropagationConfig(init="siren", activation="sin", depth=2, width=8, n_networks=2)
    monkeypatch.setenv(device.ENV_DEVICE, "cpu")
    on_cpu = cache.cache_key(cfg)
    monkeypatch.setattr(device, "device_name", lambda name=None: "cuda")
    on_gpu = cache.cache_key(cfg)
    assert on_gpu != on_cpu
    monkeypatch.setattr(device, "device_name", lambda name=None: "cpu")
    assert cache.cache_key(cfg) == on_cpu  # the CPU key has no device entry at all


def test_provenance_records_the_device(no_device_env):
    assert provenance.collect()["device"] == HERE
    line = provenance.summary_line([{"threads": 1, "device": "cpu"}, {"threads": 1}])
    assert " on " not in line  # CPU runs, old records included, say nothing more
    line = provenance.summary_line([{"threads": 1, "device": "cuda"}, {"threads": 1}])
    assert line.endswith("on cpu and cuda")


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a GPU")
def test_cli_refuses_cuda_without_a_gpu_before_any_run(no_device_env, capsys, cache_tmp):
    from initaudit.figures.cli import main

    assert main(["experiment", "mc-variance", "--preset", "smoke", "--device", "cuda"]) == 2
    assert "no CUDA device here" in capsys.readouterr().err
    assert not cache_tmp.exists() or not any(cache_tmp.rglob("*.result"))
