"""The dispatcher starts turns for agents with runners, one at a time per agent, once per trigger, within caps."""

from __future__ import annotations

import os
import sys

import anyio
import pytest

from switchboard.dispatch.dispatcher import Dispatcher
from switchboard.dispatch.models import TriggerKind, TurnStatus
from switchboard.errors import Unauthorized
from switchboard.messages.models import MessageDraft
from switchboard.tasks.models import TaskDraft, Usage
from switchboard.teams.models import Principal
from tests.dispatch.conftest import Scene, dispatching


async def send(scene: Scene, sender: Principal, target: str, text: str) -> None:
    await scene.hub.messages.send_message(sender, MessageDraft(target=target, message=text))


async def key_of(scene: Scene, name: str) -> Principal:
    issued = await scene.hub.keys.create_key(scene.admin, scene.team.id, name, f"{name} key")
    return await scene.hub.keys.authenticate(issued.plaintext)


async def test_a_ready_task_aimed_at_an_agent_starts_one_turn_with_its_prompt_key_and_environment(
    scene: Scene,
) -> None:
    await scene.agent("builder")
    async with dispatching(scene.hub, hub_url="http://hub.example:8000/"):
        task = await scene.hub.tasks.create_task(
            scene.admin,
            TaskDraft(title="Add the schema", instructions="Create the table.", target="builder"),
            scene.team.id,
        )
        (turn,) = await scene.ended_turns("builder", 1)

    assert turn.status == TurnStatus.SUCCEEDED and turn.exit_code == 0
    assert turn.trigger == TriggerKind.TASK_READY and turn.task_id == task.id
    assert "turn of builder done" in (turn.output_tail or "")
    (seen,) = scene.records("builder")
    assert seen["SWITCHBOARD_URL"] == "http://hub.example:8000"
    assert seen["SWITCHBOARD_MCP_URL"] == "http://hub.example:8000/mcp"
    assert seen["SWITCHBOARD_AGENT"] == "builder" and seen["SWITCHBOARD_TASK_ID"] == str(task.id)
    assert seen["SWITCHBOARD_TURN_ID"] == str(turn.id)
    assert seen["cwd"] == turn.cwd and os.path.basename(seen["cwd"]) == f"turn-{turn.id}"
    # The role prompt, then what is new: the task and its instructions.
    assert "engineer" in seen["prompt"].lower() and "Add the schema" in seen["prompt"]
    assert "Create the table." in seen["prompt"] and seen["prompt"] == turn.prompt
    # The key was the agent's own, and it stopped working when the turn ended.
    with pytest.raises(Unauthorized):
        await scene.hub.keys.authenticate(seen["SWITCHBOARD_KEY"])


async def test_the_periodic_scan_finds_an_agent_given_a_runner_while_its_work_waits(scene: Scene) -> None:
    builder = await scene.hub.teams.create_agent(scene.admin, scene.team.id, "builder", "engineer")
    task = await scene.hub.tasks.create_task(scene.admin, TaskDraft(title="t", target="builder"), scene.team.id)
    async with dispatching(scene.hub, scan_seconds=0.2) as dispatcher:
        full_scan = anyio.Event()
        scan_teams = dispatcher.scan

        async def scan(team_ids: set[int] | None = None) -> list[int]:
            if team_ids is None:
                full_scan.set()
            return await scan_teams(team_ids)

        dispatcher.scan = scan  # type: ignore[method-assign]
        # The changes above are heard first (SQLite's watcher hears them too); then a quiet spell is a full scan.
        with anyio.fail_after(5):
            await full_scan.wait()
        # Giving a runner records no event: only a full scan can find the task waiting for the agent.
        runner = {"type": "command", "command": scene.record_command()}
        await scene.hub.teams.update_agent(scene.admin, builder.id, {"runner": runner})
        (turn,) = await scene.ended_turns("builder", 1, timeout=5)
    assert turn.trigger == TriggerKind.TASK_READY and turn.task_id == task.id


async def test_a_running_turn_has_a_key_of_its_agent_and_shows_it_busy(scene: Scene) -> None:
    await scene.agent("builder")
    scene.gate("builder")
    async with dispatching(scene.hub):
        await scene.hub.tasks.create_task(scene.admin, TaskDraft(title="t", target="builder"), scene.team.id)
        (turn,) = await scene.until(scene.running_turns)
        views = {v.agent.name: v for v in await scene.hub.teams.list_agents(scene.admin, scene.team.id)}
        assert views["builder"].status == "busy" and views["builder"].runner == "command"
        key_row = await scene.hub.keys.list_keys(scene.admin)
        turn_keys = [k for k in key_row if k.label == "turn of builder" and k.revoked_at is None]
        assert len(turn_keys) == 1 and turn_keys[0].agent_id == turn.agent_id
        await scene.release("builder")
        await scene.ended_turns("builder", 1)


async def test_a_trigger_never_starts_a_second_turn(scene: Scene) -> None:
    await scene.agent("builder")
    sender = await key_of(scene, "lead")
    async with dispatching(scene.hub) as dispatcher:
        await send(scene, sender, "builder", "please look at the logs")
        (turn,) = await scene.ended_turns("builder", 1)
        # The message is still unread (the script does not read it), yet a new scan starts nothing for it.
        assert await dispatcher.scan() == []
    assert turn.trigger == TriggerKind.MESSAGE
    assert len(scene.records("builder")) == 1


async def test_an_agent_runs_one_turn_at_a_time_and_what_arrives_meanwhile_gets_the_next(scene: Scene) -> None:
    await scene.agent("builder")
    sender = await key_of(scene, "lead")
    scene.gate("builder")
    async with dispatching(scene.hub) as dispatcher:
        await send(scene, sender, "builder", "first")
        (first,) = await scene.until(scene.running_turns)
        await send(scene, sender, "builder", "second")
        assert await dispatcher.scan() == []
        assert len(await scene.running_turns()) == 1
        await scene.release("builder")
        turns = await scene.ended_turns("builder", 2)
    assert turns[0].id == first.id
    assert "first" in turns[0].prompt and "second" not in turns[0].prompt
    assert "second" in turns[1].prompt and "first" not in turns[1].prompt
    assert scene.overlaps() == []


async def test_a_turn_past_its_timeout_is_stopped_recorded_and_the_agent_gets_later_turns(scene: Scene) -> None:
    hang = scene.script(
        "hang",
        """
        import os, sys, time
        open(sys.argv[1], "a").write(str(os.getpid()) + "\\n")
        print("starting a long job", flush=True)
        time.sleep(120)
        """,
    )
    pids = scene.scripts / "pids"
    await scene.agent("sleepy", f"{sys.executable} {hang} {pids}", timeout_seconds=1)
    sender = await key_of(scene, "lead")
    async with dispatching(scene.hub):
        await send(scene, sender, "sleepy", "do the long job")
        (turn,) = await scene.ended_turns("sleepy", 1)
        assert turn.status == TurnStatus.TIMED_OUT
        assert "starting a long job" in (turn.output_tail or "") and "after 1s" in (turn.error or "")
        pid = int(pids.read_text().split()[0])
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        await send(scene, sender, "sleepy", "try again")
        await scene.ended_turns("sleepy", 2)


async def test_crashing_and_flooding_runners_end_recorded(scene: Scene) -> None:
    crash = scene.script("crash", "import sys\nprint('about to fail')\nsys.exit(3)\n")
    flood = scene.script(
        "flood", "import sys\nfor i in range(200_000): sys.stdout.write(f'line {i} of noise\\n')\nprint('the end')\n"
    )
    await scene.agent("crasher", f"{sys.executable} {crash}")
    await scene.agent("flooder", f"{sys.executable} {flood}")
    await scene.agent("missing", "/nonexistent/agent-cli --print")
    sender = await key_of(scene, "lead")
    async with dispatching(scene.hub):
        for name in ("crasher", "flooder", "missing"):
            await send(scene, sender, name, "go")
        (crashed,) = await scene.ended_turns("crasher", 1)
        (flooded,) = await scene.ended_turns("flooder", 1)
        (missing,) = await scene.ended_turns("missing", 1)
    assert crashed.status == TurnStatus.FAILED and crashed.exit_code == 3
    assert "about to fail" in (crashed.output_tail or "")
    assert flooded.status == TurnStatus.SUCCEEDED
    tail = flooded.output_tail or ""
    assert tail.rstrip().endswith("the end") and "earlier bytes not kept" in tail and len(tail) < 17_000
    assert missing.status == TurnStatus.ERROR and "could not start" in (missing.error or "")


async def test_the_team_concurrency_cap_holds_turns_back_until_an_agent_is_free(scene: Scene) -> None:
    await scene.hub.teams.update_settings(scene.admin, scene.team.id, {"max_concurrent_agents": 1})
    await scene.agent("one")
    await scene.agent("two")
    scene.gate("one")
    scene.gate("two")
    sender = await key_of(scene, "lead")
    async with dispatching(scene.hub) as dispatcher:
        await send(scene, sender, "one", "go")
        await send(scene, sender, "two", "go")
        (running,) = await scene.until(scene.running_turns)
        assert await dispatcher.scan() == []
        other = "two" if running.agent == "one" else "one"
        assert any("max_concurrent_agents" in reason for reason in dispatcher.refused.values())
        await scene.release(running.agent)
        (second,) = await scene.until(lambda: _running_of(scene, other))
        assert len(await scene.running_turns()) == 1
        await scene.release(other)
        await scene.ended_turns(other, 1)
    assert second.agent == other


async def _running_of(scene: Scene, agent: str) -> list:  # type: ignore[type-arg]
    return await scene.running_turns(agent)


async def test_no_turn_starts_once_the_team_spent_its_daily_limit(scene: Scene) -> None:
    await scene.hub.teams.update_settings(scene.admin, scene.team.id, {"daily_cost_limit_usd": 1.0})
    await scene.agent("builder")
    spender = await key_of(scene, "spender")
    await scene.hub.usage.report_usage(spender, Usage(cost_usd=1.5))
    async with dispatching(scene.hub) as dispatcher:
        await send(scene, spender, "builder", "go")
        assert await dispatcher.scan({scene.team.id}) == []
    assert await scene.turns() == []
    assert any("daily limit" in reason for reason in dispatcher.refused.values())


async def test_a_hub_runs_at_most_max_turns_at_once(scene: Scene) -> None:
    for name in ("a", "b", "c"):
        await scene.agent(name)
        scene.gate(name)
    sender = await key_of(scene, "lead")
    async with dispatching(scene.hub, max_turns=2) as dispatcher:
        for name in ("a", "b", "c"):
            await send(scene, sender, name, "go")

        async def two_running() -> list:  # type: ignore[type-arg]
            running = await scene.running_turns()
            return running if len(running) == 2 else []

        running = await scene.until(two_running)
        assert await dispatcher.scan() == [] and len(dispatcher.running) == 2
        await scene.release(running[0].agent)
        waiting = ({"a", "b", "c"} - {t.agent for t in running}).pop()
        await scene.until(lambda: _running_of(scene, waiting))
        for name in {"a", "b", "c"} - {running[0].agent}:
            await scene.release(name)
        for name in ("a", "b", "c"):
            await scene.ended_turns(name, 1)


async def test_a_turn_whose_hub_stopped_is_ended_as_lost_and_its_trigger_is_offered_again(scene: Scene) -> None:
    await scene.agent("builder")
    sender = await key_of(scene, "lead")
    scene.gate("builder")
    await send(scene, sender, "builder", "go")
    # A hub starts the turn and dies at once, without a word: nobody renews its lease or ends it.
    dead = Dispatcher(scene.hub, hub_url="http://127.0.0.1:9", lease_seconds=0.5)
    (agent,) = await dead._runner_agents({scene.team.id})
    orphan = await dead._start(*agent)
    assert orphan is not None
    async with dispatching(scene.hub, lease_seconds=0.5):
        ended = await scene.ended_turns("builder", 1)
        assert ended[0].id == orphan.id and ended[0].status == TurnStatus.LOST
        (again,) = await scene.until(lambda: _running_of(scene, "builder"))
        assert again.id != orphan.id and "go" in again.prompt
        await scene.release("builder")
        await scene.ended_turns("builder", 2)
