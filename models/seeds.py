"""One seed scheme for every random draw: a numpy ``SeedSequence`` per (replicate, stream).

Every random choice the package makes draws from a stream of its own, seeded with
``SeedSequence([seed, stream], spawn_key=keys)`` (:func:`derived_seed`): the weights, the data
subset, the minibatch order, the noise, the collocation, kernel or Monte-Carlo input points,
torch's global generator (dropout, and the default initialisation of ``torch.nn`` layers), the
random output directions of a Monte-Carlo measurement, bootstrap resampling and, where draws must
not share a stream, one child stream per key (a strategy's name through :func:`name_key`, or the
index of a network in a sweep). SeedSequence hashes its whole entropy, so two streams of one
replicate, or one stream of two replicates, are independent; seeds ``s`` and ``s + 1`` share
nothing (an offset scheme such as ``seed + 10007`` or ``seed * 10000 + i`` can repeat a stream of
another replicate or cell). Keys go into ``spawn_key`` rather than the entropy list because
SeedSequence pads its entropy with zeros to four words: ``SeedSequence([s, k])`` and
``SeedSequence([s, k, 0])`` are the same sequence, while ``spawn_key=(0,)`` is a child of its own.

Two arms of a comparison with the same replicate share every stream they do not differ in, which
is what makes the comparisons paired. The measurement sweeps use this too: every cell of a sweep
with replicate ``seed`` draws its networks from ``(seed, STREAM_INIT)`` (network ``i`` of a
one-network-at-a-time sweep from the child key ``i``) and its inputs from
``(input_seed, STREAM_POINTS)``, so two initialisers, depths or widths of one sweep are compared on
the same inputs and on common random numbers.
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
#: Collocation and boundary points, the inputs of a kernel or of a Monte-Carlo measurement.
STREAM_POINTS = 4
#: torch's global generator: dropout masks and the default initialisation of torch.nn layers.
STREAM_GLOBAL = 5
#: A per-strategy draw (keyed further by :func:`name_key` of the strategy).
STREAM_STRATEGY = 6
#: Sampling of generated text.
STREAM_SAMPLE = 7
#: Random unit output directions of a Monte-Carlo measurement (networks with d_out > 1).
STREAM_DIRECTIONS = 8
#: Bootstrap resampling of a cell's per-network values.
STREAM_RESAMPLE = 9
#: A reference draw a measurement is compared with (an i.i.d. Gaussian matrix, say).
STREAM_REFERENCE = 10
#: A replaced first layer, drawn apart so the hidden layers do not depend on it.
STREAM_FIRST_LAYER = 11


def derived_seed(seed: int, stream: int, *keys: int) -> int:
    """A 63-bit seed for ``stream`` of replicate ``seed`` (further keyed by ``keys``).

    ``SeedSequence([seed, stream], spawn_key=keys).generate_state(2)`` as one integer; torch and
    numpy generators accept it. Without keys this is ``SeedSequence([seed, stream])``.

    Raises:
        ValueError: a negative or non-integer seed, stream or key.
    """
    seed = int_at_least(seed, 0, "seed")
    stream = int_at_least(stream, 0, "stream")
    keys = tuple(int_at_least(k, 0, "key") for k in keys)
    state = np.random.SeedSequence([seed, stream], spawn_key=keys).generate_state(
        2, dtype=np.uint32)
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


__all__ = ["STREAM_BATCHES", "STREAM_DIRECTIONS", "STREAM_FIRST_LAYER", "STREAM_GLOBAL",
           "STREAM_INIT", "STREAM_NOISE", "STREAM_POINTS", "STREAM_REFERENCE", "STREAM_RESAMPLE",
           "STREAM_SAMPLE", "STREAM_STRATEGY", "STREAM_SUBSET", "derived_seed", "name_key",
           "numpy_rng", "seed_torch_global", "torch_generator"]
