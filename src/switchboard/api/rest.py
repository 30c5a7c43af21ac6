"""The REST transport under /api/v1. Routes parse, call a service, and shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from switchboard.api.auth import request_principal
from switchboard.api.shapes import principal_json
from switchboard.teams.models import Principal

router = APIRouter(prefix="/api/v1")
Caller = Annotated[Principal, Depends(request_principal)]


@router.get("/whoami", tags=["identity"])
async def whoami(principal: Caller) -> dict[str, Any]:
    """Who the key in the Authorization header belongs to."""
    return principal_json(principal)
