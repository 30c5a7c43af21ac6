"""A turn's prompt: the agent's role prompt, then what is new for it and where it works."""

from __future__ import annotations

from collections.abc import Sequence

from switchboard.dispatch.models import Trigger
from switchboard.prompts.roles import role_prompt
from switchboard.teams.models import Agent, Team

DETAIL_CHARS = 4000


def turn_prompt(
    *,
    agent: Agent,
    team: Team,
    turn_id: int,
    triggers: Sequence[Trigger],
    hub_url: str,
    workdir: str,
    worktree: str | None,
) -> str:
    lines = [
        role_prompt(agent.role, agent, team).rstrip(),
        "",
        "---",
        "",
        f"# Turn {turn_id}: what is new for you",
        "",
        f"The hub started this turn for you ({agent.name}, team {team.name}) because:",
        "",
    ]
    for trigger in triggers:
        lines.append(f"- {trigger.summary}")
        if trigger.detail:
            detail = trigger.detail[:DETAIL_CHARS] + (" [...]" if len(trigger.detail) > DETAIL_CHARS else "")
            lines.extend(f"    {line}" for line in detail.splitlines())
    lines += [
        "",
        "# Where you work",
        "",
        f"- The hub: {hub_url} (MCP at {hub_url}/mcp). Your key for this turn is in $SWITCHBOARD_KEY; it stops "
        "working when the turn ends.",
        f"- Working directory: {workdir}.",
    ]
    if worktree:
        lines.append(f"- Your task's git worktree: {worktree}. Commit your work there, on its branch.")
    else:
        lines.append(
            "- When you claim a task of a team with a repository, the claim answers with the task's `worktree`: "
            "work and commit there."
        )
    lines += [
        "- Read your messages (`get_messages`) and act on everything above; then end the turn by exiting. A new "
        "turn starts when something new arrives.",
        "",
    ]
    return "\n".join(lines)
