r"""The small causal Transformer language model of Fatykhov (2026), in one readable file.

"Harmonic Initialization ... Medical Language Models" (Fatykhov 2026) trains a decoder-only
Transformer with 8 layers, width 512, 4 heads, no dropout and no LayerNorm on sequences of 32
tokens, and initialises *only the token embedding* with the strategy under test; every other
weight is Xavier uniform. The paper gives no code, so the blocks below are the plainest reading
of that description (choices marked *ours*):

.. math::

    h_0 &= E[x_t] + P_t, \\
    a_\ell &= h_{\ell-1} + W^o_\ell\,\mathrm{Attn}(W^q_\ell h_{\ell-1}, W^k_\ell h_{\ell-1},
              W^v_\ell h_{\ell-1}), \\
    h_\ell &= a_\ell + W^2_\ell\,\mathrm{GELU}(W^1_\ell a_\ell + b^1_\ell) + b^2_\ell, \\
    \mathrm{logits}_t &= W^{out} h_L + b^{out},

with causal multi-head attention ``softmax(q k^T / sqrt(d_head) + M) v`` (``M`` = -inf above the
diagonal, so position ``t`` never sees a later token), residual connections and no normalisation.
*Ours*: a learned position table ``P`` (seq_len x d_model, Xavier uniform), separate q/k/v/o
projections without biases, a GELU feed-forward of width ``4 d_model``, an untied output layer,
all biases zero. The attention is written out (not a fused kernel), so the model runs in float64
and under :mod:`torch.func` (the empirical NTK of :mod:`analysis.ntk`).

Embedding strategies (:data:`EMBEDDING_INITS`): the twelve of :mod:`models.embeddings` plus
``emb_sinusoidal`` and ``emb_edge_of_chaos`` (:func:`models.embeddings.sinusoidal_embedding_`,
:func:`models.embeddings.edge_of_chaos_embedding_`); every one at the Xavier variance
``2 / (V + D)``, so they differ in structure only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from initaudit.models import embeddings as emb
from initaudit.theory.checks import choice, positive_int

__all__ = ["EMBEDDING_INITS", "LMConfig", "TransformerLM", "init_lm_embedding_"]

#: Every embedding strategy the model accepts: the paper's twelve, then the two added ones.
EMBEDDING_INITS: tuple[str, ...] = tuple(emb.EMBEDDING_STRATEGIES) + (
    "emb_sinusoidal", "emb_edge_of_chaos")


def init_lm_embedding_(tensor: torch.Tensor, strategy: str,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill a (V, D) embedding matrix with ``strategy`` at the Xavier variance.

    Args:
        tensor: the matrix, filled in place.
        strategy: one of :data:`EMBEDDING_INITS`.
        generator: the random strategies draw from it.

    Returns:
        ``tensor``.
    """
    if strategy == "emb_sinusoidal":
        return emb.sinusoidal_embedding_(tensor, generator=generator)
    if strategy == "emb_edge_of_chaos":
        return emb.edge_of_chaos_embedding_(tensor, generator=generator)
    choice(strategy, EMBEDDING_INITS, "embedding strategy")
    return emb.init_embedding_(tensor, strategy, generator=generator)


@dataclass(frozen=True)
class LMConfig:
    """Shape of the language model (defaults: the paper's model, Fatykhov 2026)."""

    vocab_size: int = 407  # rows of the embedding and outputs: 406 words + unknown (paper)
    seq_len: int = 32  # context length; also the size of the position table (paper)
    n_layer: int = 8  # Transformer blocks (paper)
    d_model: int = 512  # residual-stream width (paper)
    n_head: int = 4  # attention heads; d_model must be divisible by it (paper)
    ff_mult: int = 4  # feed-forward width = ff_mult * d_model (ours: the usual 4)
    embedding_init: str = "emb_random"  # strategy for the token embedding (EMBEDDING_INITS)

    def __post_init__(self):
        for name in ("vocab_size", "seq_len", "n_layer", "d_model", "n_head", "ff_mult"):
            value = getattr(self, name)
            positive_int(value, name)
        if self.d_model % self.n_head:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_head "
                             f"({self.n_head})")
        choice(self.embedding_init, EMBEDDING_INITS, "embedding_init")

    @property
    def n_params(self) -> int:
        """Number of parameters (embedding and position table included)."""
        d, f = self.d_model, self.ff_mult * self.d_model
        block = 4 * d * d + 2 * d * f + f + d
        return self.vocab_size * d + self.seq_len * d + self.n_layer * block \
            + d * self.vocab_size + self.vocab_size


class CausalSelfAttention(nn.Module):
    """Multi-head attention in which position t attends to positions 0..t only."""

    def __init__(self, cfg: LMConfig):
        super().__init__()
        d = cfg.d_model
        self.n_head = cfg.n_head
        self.q = nn.Linear(d, d, bias=False)
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.o = nn.Linear(d, d, bias=False)
        # True above the diagonal: the entries a position must not see.
        mask = torch.triu(torch.ones(cfg.seq_len, cfg.seq_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("future", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        hd = d // self.n_head

        def heads(y):  # (b, t, d) -> (b, heads, t, hd)
            return y.view(b, t, self.n_head, hd).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        # -inf before the softmax gives an exact 0 weight, so a later token cannot change an
        # earlier position's output by even one rounding error (tested in float64).
        scores = scores.masked_fill(self.future[:t, :t], float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.o(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Attention then feed-forward, each added to the residual stream; no normalisation."""

    def __init__(self, cfg: LMConfig):
        super().__init__()
        self.attn = CausalSelfAttention(cfg)
        self.fc1 = nn.Linear(cfg.d_model, cfg.ff_mult * cfg.d_model)
        self.fc2 = nn.Linear(cfg.ff_mult * cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.fc2(F.gelu(self.fc1(x)))


class TransformerLM(nn.Module):
    """Decoder-only language model: token ids (B, T) -> next-token logits (B, T, V).

    Args:
        cfg: the shape and the embedding strategy.
        generator: seeds the Xavier-uniform draws of every layer but the token embedding.
        embedding_generator: seeds the token embedding's strategy (when it is random). Separate
            so that, for one seed, all strategies share every other weight (paired design) while
            the random strategies draw their embeddings independently.
    """

    def __init__(self, cfg: LMConfig, generator: torch.Generator | None = None,
                 embedding_generator: torch.Generator | None = None):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Parameter(torch.empty(cfg.seq_len, cfg.d_model))
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size)
        self.reset_parameters(generator, embedding_generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None,
                         embedding_generator: torch.Generator | None = None) -> None:
        """Token embedding by the strategy; every other matrix Xavier uniform, biases zero.

        The order of the Xavier draws is fixed (position table, then each block's q, k, v, o,
        fc1, fc2, then the head), so equal generators give equal weights.
        """
        init_lm_embedding_(self.tok_emb.weight, self.cfg.embedding_init, embedding_generator)
        nn.init.xavier_uniform_(self.pos_emb, generator=generator)
        for blk in self.blocks:
            for lin in (blk.attn.q, blk.attn.k, blk.attn.v, blk.attn.o, blk.fc1, blk.fc2):
                nn.init.xavier_uniform_(lin.weight, generator=generator)
                if lin.bias is not None:
                    lin.bias.zero_()
        nn.init.xavier_uniform_(self.head.weight, generator=generator)
        self.head.bias.zero_()

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        t = idx.shape[-1]
        if t > self.cfg.seq_len:
            raise ValueError(f"sequence of {t} tokens exceeds the context length "
                             f"{self.cfg.seq_len}")
        x = self.tok_emb(idx) + self.pos_emb[:t]
        for blk in self.blocks:
            x = blk(x)
        return self.head(x)

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, new_tokens: int, *, greedy: bool = True,
                 temperature: float = 1.0, generator: torch.Generator | None = None,
                 max_id: int | None = None) -> torch.Tensor:
        """Append ``new_tokens`` tokens to the prompt ``idx`` (1-D or (B, T)), one at a time.

        The context is cropped to the last ``seq_len`` tokens. Greedy takes the arg-max
        (lowest id on ties); otherwise a draw from ``softmax(logits / temperature)`` with
        ``generator``. ``max_id``: ids >= max_id (reserved rows beyond a small vocabulary) are
        never produced.
        """
        if new_tokens < 0:
            raise ValueError(f"new_tokens must be >= 0, got {new_tokens}")
        if not greedy and not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        squeeze = idx.dim() == 1
        out = idx.unsqueeze(0) if squeeze else idx
        for _ in range(new_tokens):
            logits = self(out[:, -self.cfg.seq_len:])[:, -1, :]
            if max_id is not None:
                logits[:, max_id:] = float("-inf")
            if greedy:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = F.softmax(logits.double() / temperature, dim=-1)
                nxt = torch.multinomial(probs, 1, generator=generator)
            out = torch.cat([out, nxt.to(out.dtype)], dim=1)
        return out[0] if squeeze else out
