import httpx

from switchboard.api.app import HubApp
from tests.api.mcp_client import mcp_client, payload
from tests.conftest import World, auth


async def test_whoami_over_rest_names_the_agent_behind_the_key(http: httpx.AsyncClient, world: World) -> None:
    builder = await world.agent("builder")
    response = await http.get("/api/v1/whoami", headers=auth(builder.key))
    assert response.status_code == 200
    assert response.json()["name"] == "builder"


async def test_whoami_over_mcp_names_the_agent_behind_the_key(app: HubApp, world: World) -> None:
    builder = await world.agent("builder")
    async with mcp_client(app, builder.key, path="/v1/mcp") as client:
        result = await client.call_tool("whoami", {})
    assert payload(result)["name"] == "builder"
