"""MCP tools for usage and budgets: report usage, read the cost summary, read and change the team's settings."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import IDEMPOTENT_WRITE, READ_ONLY, WRITE, TeamId, answer, principal_of
from switchboard.api.mcp_presence import register_presence_tools
from switchboard.api.shapes import team_json
from switchboard.hub import Hub
from switchboard.tasks.models import Usage
from switchboard.teams.models import TeamSettings

SETTING_NAMES = tuple(TeamSettings.__dataclass_fields__)


def register_usage_tools(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Report token usage",
        annotations=WRITE,
        description=(
            "Record tokens and cost you spent, in the team's ledger that budgets and the cost summary read. Call it "
            "after each stretch of work (or pass usage to complete_task when you finish a task). With `task_id` the "
            "usage is also added to that task's totals. Each call adds a new entry, so report each spend once. "
            "Returns the ledger entry. Refused: negative or absurd figures (invalid_input), a task outside your "
            "team (not_found), or an admin key (forbidden: only agents report usage)."
        ),
    )
    async def report_usage(
        ctx: Context,
        tokens_in: Annotated[int, Field(description="Input (prompt) tokens spent.")] = 0,
        tokens_out: Annotated[int, Field(description="Output (completion) tokens spent.")] = 0,
        cost_usd: Annotated[float, Field(description="What it cost, in US dollars.")] = 0.0,
        model: Annotated[str | None, Field(description="The model that spent it, e.g. claude-sonnet-4.")] = None,
        task_id: Annotated[
            int | None, Field(description="The task the work was for, if any; its usage totals grow too.")
        ] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            usage = Usage(tokens_in, tokens_out, cost_usd, model)
            return (await hub.usage.report_usage(principal_of(ctx), usage, task_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Cost summary",
        annotations=READ_ONLY,
        description=(
            "What your team spent over the last `days` days (UTC, today included): `totals` (tokens in and out, "
            "cost in USD, number of reports), `by_day` (oldest first, days without spend included), `by_agent`, "
            "`by_model`, and `today` with today's spend, the team's `daily_cost_limit_usd` and what remains. Check "
            "it before starting costly work: once today's spend reaches the limit, claims are refused until 00:00 UTC."
        ),
    )
    async def get_cost_summary(
        ctx: Context,
        days: Annotated[int, Field(description="How many days back, today included (1-366, default 7).")] = 7,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.usage.get_cost_summary(principal_of(ctx), days, team_id)).to_json()

        return await answer(run())

    @server.tool(
        title="Read the team's settings",
        annotations=READ_ONLY,
        description=(
            "Your team with its `settings`: `lease_seconds` (how long a claim lasts without a heartbeat), "
            "`max_attempts` (lost leases before a task fails), `daily_cost_limit_usd` and `max_concurrent_agents` "
            "(limits that refuse claims; null means none), `default_model`, `offline_after_seconds` (silence after "
            "which an agent shows offline) and `session_timeout_seconds` (silence after which a session is closed)."
        ),
    )
    async def get_team_settings(ctx: Context, team_id: TeamId = None) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return team_json(await hub.teams.default_team(principal_of(ctx), team_id))

        return await answer(run())

    @server.tool(
        title="Change the team's settings",
        annotations=IDEMPOTENT_WRITE,
        description=(
            "Change some of the team's settings (managers and admins only); settings you leave out keep their "
            "values. Use it to set a daily budget (`daily_cost_limit_usd`) or cap how many agents hold claims at "
            "once (`max_concurrent_agents`); name settings in `clear` to put them back to their defaults (clearing "
            "a limit removes it). Returns the team with all its settings. Out-of-range values are refused "
            "(invalid_input) and nothing changes."
        ),
    )
    async def update_team_settings(
        ctx: Context,
        daily_cost_limit_usd: Annotated[
            float | None, Field(description="Spend in USD per UTC day after which claims are refused.")
        ] = None,
        max_concurrent_agents: Annotated[
            int | None, Field(description="How many agents may hold claims at once; others are refused.")
        ] = None,
        lease_seconds: Annotated[int | None, Field(description="Default claim lease, 10-604800 seconds.")] = None,
        max_attempts: Annotated[int | None, Field(description="Lost leases before a task fails, 1-100.")] = None,
        default_model: Annotated[str | None, Field(description="The model agents of the team use by default.")] = None,
        offline_after_seconds: Annotated[
            int | None, Field(description="Silence after which an agent is offline, 60-604800 seconds.")
        ] = None,
        session_timeout_seconds: Annotated[
            int | None, Field(description="Silence after which a working session is closed, 60-604800 seconds.")
        ] = None,
        managers_answer_questions: Annotated[
            bool | None, Field(description="Whether the team's managers may answer agents' questions for people.")
        ] = None,
        clear: Annotated[
            list[str] | None, Field(description=f"Settings to reset to their defaults: {', '.join(SETTING_NAMES)}.")
        ] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        given = {
            "daily_cost_limit_usd": daily_cost_limit_usd,
            "max_concurrent_agents": max_concurrent_agents,
            "lease_seconds": lease_seconds,
            "max_attempts": max_attempts,
            "default_model": default_model,
            "offline_after_seconds": offline_after_seconds,
            "session_timeout_seconds": session_timeout_seconds,
            "managers_answer_questions": managers_answer_questions,
        }

        async def run() -> dict[str, Any]:
            principal = principal_of(ctx)
            team = await hub.teams.default_team(principal, team_id)
            defaults = TeamSettings()
            changes = {name: getattr(defaults, name, None) for name in clear or ()}
            changes.update({k: v for k, v in given.items() if v is not None})
            return team_json(await hub.teams.update_settings(principal, team.id, changes))

        return await answer(run())

    register_presence_tools(server, hub)
