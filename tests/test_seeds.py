"""models.seeds: one SeedSequence stream per (replicate, stream), independent of the others."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from initaudit.models import seeds

STREAMS = [seeds.STREAM_INIT, seeds.STREAM_BATCHES, seeds.STREAM_NOISE, seeds.STREAM_SUBSET,
           seeds.STREAM_POINTS, seeds.STREAM_GLOBAL, seeds.STREAM_STRATEGY, seeds.STREAM_SAMPLE,
           seeds.STREAM_DIRECTIONS, seeds.STREAM_RESAMPLE, seeds.STREAM_REFERENCE,
           seeds.STREAM_FIRST_LAYER]


def test_the_seed_is_numpys_seedsequence_of_replicate_and_stream():
    # Independent of the module: the documented recipe, written out.
    state = np.random.SeedSequence([3, 1]).generate_state(2, dtype=np.uint32)
    assert seeds.derived_seed(3, 1) == (int(state[0]) << 31) ^ int(state[1])
    assert 0 <= seeds.derived_seed(3, 1) < 2 ** 63


def test_keys_are_spawn_keys_of_the_stream():
    # The documented recipe, written out: keys are SeedSequence's spawn_key, not more entropy.
    state = np.random.SeedSequence([3, 1], spawn_key=(0, 7)).generate_state(2, dtype=np.uint32)
    assert seeds.derived_seed(3, 1, 0, 7) == (int(state[0]) << 31) ^ int(state[1])


def test_a_zero_key_is_a_stream_of_its_own():
    # SeedSequence pads entropy with zeros: [s, k] and [s, k, 0] are one sequence. As spawn keys,
    # (), (0,) and (0, 0) are three.
    assert (np.random.SeedSequence([3, 1]).generate_state(2)
            == np.random.SeedSequence([3, 1, 0]).generate_state(2)).all()
    values = {seeds.derived_seed(3, 1), seeds.derived_seed(3, 1, 0), seeds.derived_seed(3, 1, 0, 0),
              seeds.derived_seed(3, 1, 1)}
    assert len(values) == 4
    # the networks of a one-at-a-time sweep: 50 replicates x 20 networks, no repeat
    nets = {seeds.derived_seed(s, seeds.STREAM_INIT, i) for s in range(50) for i in range(20)}
    assert len(nets) == 1000


def test_streams_and_replicates_never_repeat_a_seed():
    # An offset scheme (seed + 10007) repeats seeds across replicates; this one does not.
    values = {seeds.derived_seed(s, k) for s in range(200) for k in STREAMS}
    assert len(values) == 200 * len(STREAMS)
    assert len(STREAMS) == len(set(STREAMS))


def test_streams_draw_uncorrelated_numbers():
    """Weights and dropout of one replicate drawn from two streams are uncorrelated: the sample
    correlation of 20,000 pairs lies within 5 of its standard errors (1/sqrt(n)) of zero."""
    n = 20_000
    a = torch.rand(n, generator=seeds.torch_generator(0, seeds.STREAM_INIT)).numpy()
    b = torch.rand(n, generator=seeds.torch_generator(0, seeds.STREAM_GLOBAL)).numpy()
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n)


def test_generators_repeat_and_keys_separate_strategies():
    x = seeds.numpy_rng(4, seeds.STREAM_SUBSET).permutation(50)
    assert np.array_equal(x, seeds.numpy_rng(4, seeds.STREAM_SUBSET).permutation(50))
    k1, k2 = seeds.name_key("emb_random"), seeds.name_key("emb_edge_of_chaos")
    assert k1 != k2 and k1 == seeds.name_key("emb_random")
    assert (seeds.derived_seed(0, seeds.STREAM_STRATEGY, k1)
            != seeds.derived_seed(0, seeds.STREAM_STRATEGY, k2))
    seeds.seed_torch_global(2)
    first = torch.rand(3)
    seeds.seed_torch_global(2)
    assert torch.equal(first, torch.rand(3))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "0"])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(ValueError, match="must be an integer >= 0"):
        seeds.derived_seed(bad, 0)
