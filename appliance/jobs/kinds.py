"""What a job kind is: a declarative row, like iotile.cloud's Action classes but without classes.

``validate`` runs at schedule time (bad arguments are refused before anything is stored),
``execute`` does the work and reports progress, ``key`` names what must not run twice at once
(a streamer, a device) and ``concurrency`` caps how many of this kind run together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from appliance.errors import ValidationError

if TYPE_CHECKING:
    from appliance.jobs.context import JobContext

JobArgs = Mapping[str, Any]
JobResult = dict[str, Any] | None


class SoftJobError(Exception):
    """Temporary failure (a device is busy, a lock is held): retried with backoff."""


class HardJobError(Exception):
    """Permanent failure: the job fails now, with this message kept."""


class JobCancelled(Exception):
    """Raised inside a job at its next progress report once somebody cancelled it."""


def no_key(args: JobArgs) -> str | None:
    return None


def accept_empty(args: JobArgs) -> dict[str, Any]:
    if args:
        raise ValidationError(f"this job takes no arguments, got {sorted(args)}", key="invalid_job_args")
    return {}


@dataclass(frozen=True, kw_only=True)
class JobKind:
    name: str
    execute: Callable[[JobContext, dict[str, Any]], Awaitable[JobResult]]
    validate: Callable[[JobArgs], dict[str, Any]] = accept_empty
    key: Callable[[JobArgs], str | None] = no_key
    concurrency: int = 1
    max_attempts: int = 5
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 600.0
    description: str = ""

    def backoff(self, attempt: int) -> float:
        """Exponential: base, 2x base, 4x base... capped."""
        return float(min(self.backoff_seconds * (2 ** max(attempt - 1, 0)), self.backoff_max_seconds))


@dataclass
class JobKindRegistry:
    kinds: dict[str, JobKind] = field(default_factory=dict)

    def register(self, kind: JobKind) -> None:
        if kind.name in self.kinds:
            raise ValueError(f"job kind {kind.name!r} is registered twice")
        self.kinds[kind.name] = kind

    def get(self, name: str) -> JobKind:
        kind = self.kinds.get(name)
        if kind is None:
            raise ValidationError(f"unknown job kind {name!r}", key="unknown_job_kind")
        return kind
