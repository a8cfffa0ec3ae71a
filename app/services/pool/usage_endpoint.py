"""Anthropic's OAuth usage endpoint (PROTOCOLS §2.4): one GET with a pooled account's access token.

The request says honestly who we are (our own User-Agent); it never poses as another client.
"""
import email.utils
import math
from dataclasses import dataclass
from datetime import timezone
from typing import Optional

import requests
from flask import current_app

from app.models.base import utcnow

USER_AGENT = "hepgg-ai-usage-refresher/1.0 (self-hosted Hep.gg AI gateway)"
OAUTH_BETA = "oauth-2025-04-20"
READ_TIMEOUT = 30
MAX_RETRY_AFTER_SECONDS = 24 * 3600


class UsageEndpointUnreachable(Exception):
    """The usage endpoint could not be reached (connection refused, timeout, TLS, ...)."""


@dataclass(frozen=True)
class UsageReply:
    """What the endpoint answered: the status, the JSON body (None when not JSON), retry-after seconds."""

    status: int
    payload: object
    retry_after: Optional[float]


def parse_retry_after(value, *, now=None):
    """A retry-after header (seconds or an HTTP date) as seconds from now, capped at a day; None if unreadable."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        if when.tzinfo is not None:
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        seconds = (when - (now or utcnow())).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def usage_request_headers(access_token):
    """The headers of a usage request: the account's bearer token, the OAuth beta, our own agent."""
    return {
        "Authorization": f"Bearer {access_token}",
        "anthropic-beta": OAUTH_BETA,
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }


def fetch_oauth_usage(access_token, *, http=None, now=None):
    """GET ANTHROPIC_OAUTH_USAGE_URL with this token; a UsageReply, or UsageEndpointUnreachable."""
    config = current_app.config
    try:
        response = (http or requests).get(
            config["ANTHROPIC_OAUTH_USAGE_URL"], headers=usage_request_headers(access_token),
            timeout=(config["UPSTREAM_CONNECT_TIMEOUT"], READ_TIMEOUT), allow_redirects=False)
    except requests.RequestException as exc:
        raise UsageEndpointUnreachable(f"usage endpoint unreachable: {type(exc).__name__}") from None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return UsageReply(response.status_code, payload,
                      parse_retry_after(response.headers.get("retry-after"), now=now))
