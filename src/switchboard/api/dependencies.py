"""What REST routes receive besides their body: the hub, the authenticated caller, and ids in range."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from switchboard.api.auth import request_principal
from switchboard.hub import Hub
from switchboard.limits import ID_MAX
from switchboard.teams.models import Principal


async def current_hub(request: Request) -> Hub:
    # Async on purpose: FastAPI runs a plain function dependency in a worker thread, a round trip per request.
    hub: Hub = request.app.state.hub
    return hub


Caller = Annotated[Principal, Depends(request_principal)]
CurrentHub = Annotated[Hub, Depends(current_hub)]
# Ids past the database's integer range are refused here, before they can reach a query.
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
QueryId = Annotated[int | None, Query(ge=0, le=ID_MAX)]
