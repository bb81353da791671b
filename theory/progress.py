"""Progress of long loops, shown by whoever listens.

The theory and analysis layers mark their long loops with :func:`steps`; nothing is shown unless
a caller installs a listener with :func:`listening` (the command line does, with a tqdm bar on
stderr that appears after a couple of seconds). The listener is a context variable, so threads
and nested calls see their own, and this module needs only the standard library.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, ContextManager, Iterable, Iterator

#: ``factory(total, what)`` -> a context manager with ``update(n)`` (a tqdm bar is one).
Listener = Callable[[int, str], ContextManager[Any]]

_listener: ContextVar[Listener | None] = ContextVar("initaudit_progress", default=None)


def steps(iterable: Iterable, total: int, what: str) -> Iterator:
    """Yield the items of ``iterable``, reporting each one done to the listener, if any.

    Args:
        iterable: the loop's items.
        total: how many there are (for the rate and time left).
        what: the loop's name, as the bar shows it.
    """
    listener = _listener.get()
    if listener is None:
        yield from iterable
        return
    with listener(total, what) as bar:
        for item in iterable:
            yield item
            bar.update(1)


@contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Report the :func:`steps` loops run inside the block to ``listener`` (None: to nobody)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


__all__ = ["Listener", "listening", "steps"]
