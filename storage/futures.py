"""Small combinators for ``concurrent.futures.Future``: the writer threads hand out such futures,
and a write that needs another's result chains onto it without a thread waiting in between."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def resolved(value: A) -> Future[A]:
    """A future that already holds ``value``."""
    future: Future[A] = Future()
    future.set_result(value)
    return future


def then(first: Future[A], step: Callable[[A], Future[B]]) -> Future[B]:
    """The future of ``step(first's result)``; ``step`` runs on the thread that completes
    ``first``. An exception of ``first`` or of ``step`` becomes the returned future's."""
    result: Future[B] = Future()

    def follow(done: Future[A]) -> None:
        try:
            following = step(done.result())
        except BaseException as err:  # noqa: BLE001 - handed to the chain's caller
            result.set_exception(err)
            return
        following.add_done_callback(lambda last: _copy(last, result))

    first.add_done_callback(follow)
    return result


def _copy(source: Future[B], target: Future[B]) -> None:
    error = source.exception()
    if error is not None:
        target.set_exception(error)
    else:
        target.set_result(source.result())
