"""MCP tools for people in the loop: ask them a question, read the answer, raise an alert."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from switchboard.api.mcp import READ_ONLY, WRITE, TeamId, answer, answer_waiting, principal_of
from switchboard.api.mcp_tasks import WaitSeconds
from switchboard.hub import Hub

# answer_question takes an argument named `answer`, which hides the helper of that name.
tool_answer = answer

QuestionId = Annotated[int, Field(description="The question's `id`, as ask_human returned it.")]

ASK_DESCRIPTION = (
    "Ask the people watching your team a question and get on with other work while they answer. Use it when "
    "you meet ambiguity you cannot resolve from the task, the code or your messages: a product decision, an "
    "approval before something risky (kind `approval`; with no options it is answered approve or reject), or a "
    "review of your work (kind `review`). Give `options` (2 to 20 short choices) when the answer should be one "
    "of them; leave them out for a free-text answer. Link the task it is about with `task_id`. The question "
    "waits `timeout_minutes` (default 1440, a day; at most 10080, a week), then expires unanswered. Returns the "
    "question with its `id` and `status` pending. When a person answers you get a high-priority message (type "
    "RESULT) with the answer, and if nobody answers in time a STATUS message saying it expired; "
    "get_response(question_id) reads the answer at any time. "
    "Errors: only agents ask (an admin key is refused); bad options, an unknown kind or timeout, or a task "
    "that is not your team's is refused and nothing is asked. ask_human and ask_question are the same tool."
)


def register_questions_tools(server: MCPServer, hub: Hub) -> None:
    _register_asking(server, hub)
    _register_reading(server, hub)
    _register_alerts(server, hub)


def _register_asking(server: MCPServer, hub: Hub) -> None:
    async def ask_human(
        question: Annotated[
            str,
            Field(
                description=(
                    "What you need to know, with the context a person needs to answer without opening anything "
                    "(at most 64 KiB)."
                )
            ),
        ],
        ctx: Context,
        options: Annotated[
            list[str] | None,
            Field(
                description=(
                    "The choices, 2 to 20 distinct strings of at most 500 characters; the answer will be exactly "
                    "one of them. Leave out for a free-text answer."
                )
            ),
        ] = None,
        kind: Annotated[
            str | None, Field(description="question (default), approval (a go/no-go) or review (judge my work).")
        ] = None,
        task_id: Annotated[int | None, Field(description="The id of the task of your team this is about.")] = None,
        timeout_minutes: Annotated[
            int | None, Field(description="Minutes before it expires unanswered: 1 to 10080, default 1440.")
        ] = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            asked = await hub.questions.ask_human(principal_of(ctx), question, options, kind, task_id, timeout_minutes)
            return asked.to_json()

        return await answer(run())

    server.tool(name="ask_human", title="Ask a person", annotations=WRITE, description=ASK_DESCRIPTION)(ask_human)
    server.tool(
        name="ask_question", title="Ask a person (CacheBash name)", annotations=WRITE, description=ASK_DESCRIPTION
    )(ask_human)


def _register_reading(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Read the answer to a question",
        annotations=READ_ONLY,
        description=(
            "Read a question you asked with ask_human: `status` is pending (no answer yet), answered (`answer`, "
            "`answered_by` and `answered_at` are set; with options, `answer` is one of them) or expired (nobody "
            "answered before `expires_at`; decide yourself, or ask again). By default it does not wait: you are "
            "sent a message when the answer comes. To block until the answer instead, pass `wait_seconds` (up to "
            "300): a pending question is answered the moment a person replies, or still pending when the time is "
            "up. Do not call this in a tight loop. Managers "
            "may read any question of the team. Errors: not found for an unknown id or another team's question; "
            "forbidden for another agent's question."
        ),
    )
    async def get_response(question_id: QuestionId, ctx: Context, wait_seconds: WaitSeconds = 0) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.questions.get_response(principal_of(ctx), question_id, wait_seconds)).to_json()

        return await answer_waiting(ctx, run(), wait_seconds)

    @server.tool(
        title="List questions",
        annotations=READ_ONLY,
        description=(
            "The team's questions to people, pending first, then the rest, oldest first within each. An agent "
            "sees the questions it asked; a manager sees the whole team's; an admin key naming no team, its org's. "
            'Filter with `status`: pending, answered, expired (default: all). Returns {"questions": [...]}, each '
            "with `id`, `status`, `question`, `options`, `answer` and who asked and answered."
        ),
    )
    async def list_questions(
        ctx: Context,
        status: Annotated[str | None, Field(description="pending, answered, expired, or all (default).")] = None,
        limit: Annotated[int, Field(description="At most this many (1 to 500).")] = 100,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            found = await hub.questions.list_questions(principal_of(ctx), team_id, status, limit)
            return {"questions": [q.to_json() for q in found]}

        return await answer(run())

    @server.tool(
        title="Answer a question (managers)",
        annotations=WRITE,
        description=(
            "Answer another agent's pending question in place of a person. Only managers of teams whose setting "
            "`managers_answer_questions` is on may (people answer through the dashboard, REST or CLI). With "
            "options, `answer` must be one of them (any case). The asker is sent a message with the answer. "
            "Returns the answered question. Errors: forbidden when managers may not answer; a conflict if it was "
            "already answered (the error names who answered) or has expired; invalid input for an answer that is "
            "not one of the options."
        ),
    )
    async def answer_question(
        question_id: QuestionId,
        answer: Annotated[str, Field(description="The answer; with options, exactly one of them (any case).")],
        ctx: Context,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            return (await hub.questions.answer(principal_of(ctx), question_id, answer)).to_json()

        return await tool_answer(run())


def _register_alerts(server: MCPServer, hub: Hub) -> None:
    @server.tool(
        title="Alert the people watching",
        annotations=WRITE,
        description=(
            "Raise an alert that the people watching your team see on their dashboard and alert list until they "
            "acknowledge it. Use it for something a person should know now but that needs no answer from them: a "
            "broken build on main, a budget about to run out, a credential that stopped working, work you had to "
            "abandon. For a decision you need, use ask_human instead. `priority`: low, normal (default), high or "
            "critical. Returns the alert with its `id`. Errors: an empty message or one over 64 KiB, an unknown "
            "priority, or a task that is not your team's is refused and nothing is recorded."
        ),
    )
    async def send_alert(
        message: Annotated[str, Field(description="What happened and what it affects (at most 64 KiB).")],
        ctx: Context,
        priority: Annotated[str | None, Field(description="low, normal (default), high or critical.")] = None,
        task_id: Annotated[int | None, Field(description="The id of the task of your team it concerns.")] = None,
        team_id: TeamId = None,
    ) -> CallToolResult:
        async def run() -> dict[str, Any]:
            alert = await hub.questions.alerts.send_alert(principal_of(ctx), message, priority, task_id, team_id)
            return alert.to_json()

        return await answer(run())
