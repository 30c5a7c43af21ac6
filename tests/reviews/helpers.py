"""What the review tests share: a claimed task, a task in review, and what an agent finds in its inbox."""

from __future__ import annotations

from switchboard.messages.models import InboxQuery, Message
from switchboard.tasks.models import Task, TaskDraft
from tests.conftest import Member, World


async def claimed(world: World, engineer: Member, title: str = "Add the login form", **draft: object) -> Task:
    task = await world.hub.tasks.create_task(engineer.principal, TaskDraft(title=title, **draft))  # type: ignore[arg-type]
    return await world.hub.claims.claim_task(engineer.principal, task.id)


async def in_review(world: World, engineer: Member, reviewer: Member, title: str = "Add the login form") -> Task:
    task = await claimed(world, engineer, title)
    outcome = await world.hub.reviews.request_review(engineer.principal, task.id, reviewer.name, "form and tests")
    return outcome.task


async def inbox(world: World, member: Member) -> list[Message]:
    """The member's unread messages, which this marks read."""
    return list((await world.hub.messages.get_messages(member.principal, InboxQuery(limit=200))).messages)


async def event_kinds(world: World, task_id: int) -> list[str]:
    return [e.kind for e in await world.hub.tasks.get_task_events(world.admin, task_id)]
