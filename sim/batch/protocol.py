"""What every backend is: a place that runs chunks (:class:`Backend`), handing back a future
per chunk (:class:`Handle`), and a context manager that stops its workers on leaving."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Protocol, Self

from sim.scenario.format import Scenario
from sim.store.outputs import Outputs
from sim.version import __version__


class Handle(Protocol):
    """A submitted chunk: a concurrent.futures or dask.distributed future."""

    def result(self) -> Any: ...
    def cancel(self) -> bool: ...


class Backend(Protocol):
    """Where chunks run."""

    #: Chunks the backend can run at once.
    workers: int
    #: Chunks submitted ahead at most (bounds the memory held by finished, unwritten chunks).
    window: int

    #: Whether the workers write to this machine's disk (so they write part files directly).
    shared_disk: bool

    def submit(
        self,
        scenario: Scenario,
        chunk: range,
        index: int,
        check: bool,
        directory: str | None,
        outputs: Outputs | None = None,
    ) -> Handle: ...
    def wait_any(self, handles: Sequence[Handle]) -> set[Handle]: ...
    def restart(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Closing(ABC):
    """``with backend: ...`` closes the backend (stops its workers) however the block ends."""

    @abstractmethod
    def close(self) -> None:
        """Stop the backend's workers."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def worker_version() -> str:
    """The simulator's version where this runs (a worker is checked against the command's)."""
    return __version__
