"""One seed scheme for the training cells: a numpy ``SeedSequence`` per (replicate, stream).

Every random choice a training run makes draws from a stream of its own, seeded with
``SeedSequence([seed, stream, *keys])`` (:func:`derived_seed`): the weights, the data subset,
the minibatch order, the noise, the collocation or kernel points, torch's global generator
(dropout, and the default initialisation of ``torch.nn`` layers) and, where strategies must not
share a draw, one stream per strategy. SeedSequence hashes its whole entropy list, so two
streams of one replicate, or one stream of two replicates, are independent; seeds ``s`` and
``s + 1`` share nothing (an offset scheme such as ``seed + 10007`` can repeat a stream of another
replicate). Two arms of a comparison with the same replicate share every stream they do not
differ in, which is what makes the comparisons paired.

The measurement sweeps (Monte Carlo, NTK, spectra) name their seeds as config fields instead:
each cell's networks are drawn from one generator seeded with its ``seed`` and its inputs from
``input_seed`` (:meth:`initaudit.models.mlp.Ensemble.draw`), which is one stream per field.
"""

from __future__ import annotations

import zlib

import numpy as np

from initaudit.theory.checks import int_at_least

#: Streams: the network's weights (and the initialiser's own draws).
STREAM_INIT = 0
#: The minibatch order.
STREAM_BATCHES = 1
#: Noise added to a target (the audio denoising task).
STREAM_NOISE = 2
#: Which training, validation and test examples a replicate uses.
STREAM_SUBSET = 3
#: Collocation and boundary points, or the inputs of a kernel.
STREAM_POINTS = 4
#: torch's global generator: dropout masks and the default initialisation of torch.nn layers.
STREAM_GLOBAL = 5
#: A per-strategy draw (keyed further by :func:`name_key` of the strategy).
STREAM_STRATEGY = 6
#: Sampling of generated text.
STREAM_SAMPLE = 7


def derived_seed(seed: int, stream: int, *keys: int) -> int:
    """A 63-bit seed for ``stream`` of replicate ``seed`` (further keyed by ``keys``).

    ``SeedSequence([seed, stream, *keys]).generate_state(2)`` as one integer; torch and numpy
    generators accept it.

    Raises:
        ValueError: a negative or non-integer seed, stream or key.
    """
    entropy = [int_at_least(v, 0, what) for v, what in
               ((seed, "seed"), (stream, "stream"), *((k, "key") for k in keys))]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def name_key(name: str) -> int:
    """A stable integer key for a name (CRC-32 of its UTF-8 bytes), for :func:`derived_seed`."""
    return zlib.crc32(str(name).encode("utf-8"))


def numpy_rng(seed: int, stream: int, *keys: int) -> np.random.Generator:
    """``numpy.random.default_rng`` seeded with :func:`derived_seed`."""
    return np.random.default_rng(derived_seed(seed, stream, *keys))


def torch_generator(seed: int, stream: int, *keys: int):
    """A CPU ``torch.Generator`` seeded with :func:`derived_seed`."""
    import torch

    return torch.Generator().manual_seed(derived_seed(seed, stream, *keys))


def seed_torch_global(seed: int) -> None:
    """Seed torch's global generator from replicate ``seed``'s :data:`STREAM_GLOBAL`."""
    import torch

    torch.manual_seed(derived_seed(seed, STREAM_GLOBAL))


__all__ = ["STREAM_BATCHES", "STREAM_GLOBAL", "STREAM_INIT", "STREAM_NOISE", "STREAM_POINTS",
           "STREAM_SAMPLE", "STREAM_STRATEGY", "STREAM_SUBSET", "derived_seed", "name_key", "numpy_rng",
           "seed_torch_global", "torch_generator"]
