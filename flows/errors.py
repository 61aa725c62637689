"""Domain errors raised by services. Each protocol maps them to its own shape: the AWS layer to
A2I/SageMaker error codes, the REST layer to JSON problem bodies, pages to messages."""

from __future__ import annotations


class LoupeError(Exception):
    """Base class. ``message`` is safe to show to the caller."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The offending input member as a dotted lowerCamelCase path, when there is one.
        self.field = field


class InvalidInput(LoupeError):
    """A value breaks a constraint (AWS: ValidationException)."""


class NotFound(LoupeError):
    """The named resource does not exist for this organization (AWS: ResourceNotFound[Exception])."""


class Conflict(LoupeError):
    """The request conflicts with current state (AWS: ConflictException)."""


class InUse(LoupeError):
    """The resource exists already or is still used (AWS: ResourceInUse)."""


class LimitExceeded(LoupeError):
    """A per-organization limit is reached (AWS: ResourceLimitExceeded)."""


class QuotaExceeded(LoupeError):
    """A quota is reached (AWS: ServiceQuotaExceededException)."""


class WrongState(LoupeError):
    """The resource is not in a state that allows the operation (AWS: ValidationException)."""
