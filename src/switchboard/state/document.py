"""The document rules: what an update asks for, how it meets the current document, and how large it may be."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from switchboard.errors import InvalidInput
from switchboard.limits import PROGRAM_STATE_MAX_BYTES, check_bytes
from switchboard.state.models import CONTEXT_SUMMARY_KEY, StateMode


def requested_update(context_summary: Any, state: Mapping[str, Any] | None) -> dict[str, Any]:
    """The update a call asks for: `state`, plus `context_summary` under the seed's key `contextSummary`."""
    if context_summary is None and state is None:
        raise InvalidInput("give context_summary (contextSummary), state, or both")
    if state is not None and not isinstance(state, Mapping):
        raise InvalidInput(f"state must be a JSON object, not {type(state).__name__}", field="state")
    update = dict(state or {})
    if context_summary is not None:
        if CONTEXT_SUMMARY_KEY in update:
            raise InvalidInput(
                f"give the context summary once: as context_summary or as state.{CONTEXT_SUMMARY_KEY}, not both",
                field=CONTEXT_SUMMARY_KEY,
            )
        update[CONTEXT_SUMMARY_KEY] = context_summary
    return as_json_object(update, "state")


def as_json_object(value: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The value as the database will give it back (keys as strings, tuples as lists); refused if not JSON."""
    if any(not isinstance(key, str) for key in value):
        raise InvalidInput(f"{field}: every top-level key must be a string", field=field)
    try:
        text = _compact(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not valid JSON: {exc}", field=field) from None
    check_bytes(field, text, PROGRAM_STATE_MAX_BYTES)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def apply_update(current: Mapping[str, Any], update: Mapping[str, Any], mode: StateMode) -> dict[str, Any]:
    """Merge: the update's top-level keys replace the current ones, and a key set to null is removed.
    Replace: the update is the whole new document."""
    if mode is StateMode.REPLACE:
        return dict(update)
    merged = {**current, **update}
    return {key: value for key, value in merged.items() if value is not None}


def check_size(document: Mapping[str, Any]) -> None:
    """The document as stored must fit the program-state limit (256 KiB)."""
    check_bytes("program state", _compact(document), PROGRAM_STATE_MAX_BYTES)


def _compact(value: Any, allow_nan: bool = True) -> str:
    return json.dumps(value, allow_nan=allow_nan, ensure_ascii=False, separators=(",", ":"))
