"""The registry of studio operations: what a job's ``operation`` name means and how it runs.

Each module in this package registers one :class:`Operation`. A job names its operation; the
worker looks it up here and calls ``run(job)``. New studio modules add a module, not a branch in
the task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.models import Job


@dataclass(frozen=True)
class Operation:
    name: str
    label: str
    run: Callable[[Job], str]
    """Do the work and return the success message; raise OperationError with a user message."""
    queue: str = "cpu"
    """The Celery queue: "cpu" for local imaging, "io" for provider calls that mostly wait."""
    route: Callable[[list[str]], str] | None = None
    """Optional: the queue for these specs when it depends on them (local AI models: "cpu")."""

    def queue_for(self, specs: list[str]) -> str:
        """Return the queue a job of these (canonical) specs runs on."""
        return self.route(specs) if self.route else self.queue


class OperationError(Exception):
    """A failure the user can act on; its str() is shown on the job page."""


REGISTRY: dict[str, Operation] = {}


def register(operation: Operation) -> Operation:
    """Add an operation to the registry; a name may be registered only once."""
    if operation.name in REGISTRY:
        raise ValueError(f"Operation {operation.name!r} is already registered")
    REGISTRY[operation.name] = operation
    return operation


def _load() -> None:
    from studio.operations import ai, compress, social  # noqa: F401  (they register themselves)


def get_operation(name: str) -> Operation:
    """Return the registered operation; raise KeyError for an unknown name."""
    _load()
    return REGISTRY[name]


def registered() -> list[Operation]:
    """Return every registered operation, by label: the studios the product has."""
    _load()
    return sorted(REGISTRY.values(), key=lambda operation: operation.label)
