"""Signing deliveries, so a receiver can tell they come from this hub and are fresh.

A receiver verifies a delivery like this: take the `X-Switchboard-Timestamp` header (unix seconds) and the raw
request body, compute `hex(HMAC-SHA256(secret, f"{timestamp}.{body}"))`, and compare it in constant time with the
`X-Switchboard-Signature` header minus its `sha256=` prefix. Refuse timestamps more than a few minutes old, so a
captured delivery cannot be replayed later. `X-Switchboard-Delivery` is the same on every retry of one delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_PREFIX = "sha256="


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Switchboard-Signature` header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, timestamp: int, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, timestamp, body), header)
