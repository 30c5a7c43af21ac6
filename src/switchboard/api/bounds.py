"""The limits the services enforce, declared on the REST API's fields so that its OpenAPI document shows them.

Each number comes from the service's own constant, and the services still check it (MCP and the CLI reach them
directly). A limit JSON Schema cannot state, such as a size in UTF-8 bytes, is left to the service and said in the
field's description.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import Field

from switchboard.limits import TEXT_MAX_BYTES
from switchboard.storage.idempotency import KEY_MAX_CHARS
from switchboard.usage.ledger import COST_MAX_USD, MODEL_MAX_CHARS, TOKENS_MAX
from switchboard.waiting import WAIT_MAX_SECONDS

IdempotencyKey = Annotated[str | None, Field(max_length=KEY_MAX_CHARS)]
LongText = Annotated[
    str,
    Field(
        description=f"At most {TEXT_MAX_BYTES} bytes in UTF-8, checked by the hub (413): JSON Schema counts characters."
    ),
]
WaitSeconds = Annotated[
    float,
    Query(ge=0, le=WAIT_MAX_SECONDS, description="Seconds to wait for something to arrive when there is nothing yet."),
]
# Usage figures, wherever they are reported (a completion, a usage report).
Tokens = Annotated[int, Field(ge=0, le=TOKENS_MAX)]
Cost = Annotated[float, Field(ge=0, le=COST_MAX_USD)]
Model = Annotated[str | None, Field(max_length=MODEL_MAX_CHARS)]
