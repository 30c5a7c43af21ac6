"""Size limits (SPEC §11). Over a limit, a call is refused with what was too large."""

from __future__ import annotations

from switchboard.errors import TooLarge

TITLE_MAX_CHARS = 500
TEXT_MAX_BYTES = 64 * 1024
PROGRAM_STATE_MAX_BYTES = 256 * 1024
BATCH_MAX_TASKS = 1000
REQUEST_BODY_MAX_BYTES = 2 * 1024 * 1024
SHORT_TEXT_MAX_CHARS = 500
TAGS_MAX = 50
# A claim's lease, a task's attempts and the presence windows, wherever they are set (a task, the team's settings).
LEASE_MIN_SECONDS = 10
LEASE_MAX_SECONDS = 7 * 86400
ATTEMPTS_MAX = 100
PRESENCE_MIN_SECONDS = 60
PRESENCE_MAX_SECONDS = 7 * 86400
PROGRESS_MAX = 100
# Ids are 32-bit integers in PostgreSQL; a larger one names nothing and must not reach a query.
ID_MAX = 2**31 - 1


def check_chars(field: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise too_many_chars(field, len(value), limit)


def too_many_chars(field: str, size: int, limit: int) -> TooLarge:
    """The refusal of a text of `size` characters where `limit` is the most, whichever layer finds it."""
    return TooLarge(f"{field} is {size} characters; the limit is {limit}", field=field, limit=limit, size=size)


def check_bytes(field: str, value: str | None, limit: int = TEXT_MAX_BYTES) -> None:
    if value is None:
        return
    size = len(value.encode())
    if size > limit:
        raise TooLarge(f"{field} is {size} bytes; the limit is {limit}", field=field, limit=limit, size=size)
