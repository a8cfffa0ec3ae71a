"""Domain exceptions. Views and services raise these; each API family renders its own shape."""


class ServiceError(Exception):
    """Base for every error a caller should see. `status` is the HTTP status it maps to."""

    status = 500
    code = "internal_error"

    def __init__(self, message, *, code=None, param=None, fields=None, headers=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param
        self.fields = fields or {}
        self.headers = dict(headers or {})


class InvalidInput(ServiceError):
    status = 400
    code = "invalid_request"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class PermissionDenied(ServiceError):
    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class RequestTimeout(ServiceError):
    status = 408
    code = "request_timeout"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "request_too_large"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


class QuotaExceeded(RateLimited):
    """A spend cap was reached; `code` names which (quota_exhausted, overage_cap, no_hep_tokens)."""

    code = "quota_exhausted"


class UpstreamUnreachable(ServiceError):
    status = 502
    code = "upstream_unreachable"


class ServiceUnavailable(ServiceError):
    status = 503
    code = "service_unavailable"


class UpstreamTimeout(ServiceError):
    status = 504
    code = "upstream_timeout"
