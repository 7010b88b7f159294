"""The errors a user can meet, each with a stable kind.

Every adapter maps these the same way: the CLI prints ``message`` on one line and exits
non-zero, the API answers RFC 9457 problem+json whose ``type`` ends in ``kind``.
Anything that is not an ExhibitsError is a bug and is reported without internals.
"""

from __future__ import annotations


class ExhibitsError(Exception):
    kind = "error"
    status = 400
    exit_code = 1

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidInput(ExhibitsError):
    kind = "invalid-input"
    status = 422
    exit_code = 2


class NotFound(ExhibitsError):
    kind = "not-found"
    status = 404
    exit_code = 3


class PermissionDenied(ExhibitsError):
    kind = "forbidden"
    status = 403
    exit_code = 4


class NotAuthenticated(ExhibitsError):
    kind = "unauthenticated"
    status = 401
    exit_code = 4


class Conflict(ExhibitsError):
    kind = "conflict"
    status = 409
    exit_code = 5


class TooLarge(ExhibitsError):
    kind = "too-large"
    status = 413
    exit_code = 2


class IntegrityFailure(ExhibitsError):
    """Stored evidence or the custody log does not match what was recorded."""

    kind = "integrity-failure"
    status = 500
    exit_code = 10


class ConfigurationError(ExhibitsError):
    kind = "configuration"
    status = 500
    exit_code = 6


class JustificationRequired(ExhibitsError):
    kind = "justification-required"
    status = 428
    exit_code = 4


class TooManyRequests(ExhibitsError):
    """Over a rate limit (the public portal) or throttled (failed sign-ins): try again later."""

    kind = "too-many-requests"
    status = 429
    exit_code = 6

    def __init__(self, message: str, retry_after_seconds: int, **detail: object) -> None:
        super().__init__(message, **detail)
        self.headers = {"Retry-After": str(max(1, retry_after_seconds))}
