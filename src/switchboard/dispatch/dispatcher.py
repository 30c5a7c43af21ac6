"""The dispatcher: it watches every team's changes, and starts a turn for each agent with a runner that has
something new to act on.

Its rules hold across hub processes because the database keeps them: one running turn per agent (a unique
index), one turn per trigger (a unique key per agent), the team's caps checked in the starting transaction. Each
hub renews the lease of the turns it runs; a turn whose hub stopped is ended as `lost` by any other.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.background import BackgroundLoop
from switchboard.dispatch import records
from switchboard.dispatch.models import (
    CommandRunner,
    Runner,
    RunOutcome,
    Trigger,
    TurnStatus,
    WebhookRunner,
    parse_runner,
)
from switchboard.dispatch.prompt import turn_prompt
from switchboard.dispatch.runners import post_webhook, run_command
from switchboard.dispatch.triggers import main_kind, pending_triggers
from switchboard.errors import InvalidInput, LimitExceeded, SwitchboardError
from switchboard.storage import schema as s
from switchboard.teams.models import Agent
from switchboard.teams.service import load_agents, load_team
from switchboard.usage.budget import spent_today, team_settings

if TYPE_CHECKING:
    from switchboard.hub import Hub

log = logging.getLogger("switchboard.dispatch")
DEFAULT_MAX_TURNS = 32
SCAN_SECONDS = 5.0
TURN_LEASE_SECONDS = 60.0
# A turn's key outlives its timeout by this much, so the agent can still report as the turn is stopped.
KEY_GRACE = timedelta(minutes=5)


@dataclass
class RunningTurn:
    id: int
    team_id: int
    agent: Agent
    runner: Runner
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    workdir: Path = Path(".")
    payload: dict[str, Any] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        hub: Hub,
        *,
        hub_url: str,
        max_turns: int = DEFAULT_MAX_TURNS,
        scan_seconds: float = SCAN_SECONDS,
        lease_seconds: float = TURN_LEASE_SECONDS,
        turns_dir: Path | None = None,
        webhook_backoff_seconds: float = 1.0,
    ) -> None:
        if max_turns < 1:
            raise InvalidInput("max_turns must be at least 1", max_turns=max_turns)
        self.hub = hub
        self.hub_url = hub_url.rstrip("/")
        self.max_turns = max_turns
        self.scan_seconds = scan_seconds
        self.lease_seconds = lease_seconds
        self.turns_dir = turns_dir or hub.settings.data_dir / "turns"
        self.webhook_backoff_seconds = webhook_backoff_seconds
        self.hub_id = uuid.uuid4().hex[:12]
        self.running: dict[int, RunningTurn] = {}
        # The last reason each agent was refused a turn, so a refusal is logged once, not at every scan.
        self.refused: dict[int, str] = {}
        self._group: anyio.abc.TaskGroup | None = None
        self._scans = BackgroundLoop(hub.metrics.count_background_error)
        self._leases = BackgroundLoop(hub.metrics.count_background_error)
        self.started = anyio.Event()

    async def run(self) -> None:
        """Dispatch until cancelled; running turns are stopped and recorded on the way out."""
        watch = self.hub.notifier.watch()
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                group.start_soon(self._keep_leases)
                self.started.set()
                teams: set[int] | None = None
                while True:
                    scanned = False
                    # Stopping waits for a scan to finish: a database call cut off halfway leaves its connection
                    # to be closed by a stray task (aiosqlite's can then hang the event loop's shutdown).
                    with anyio.CancelScope(shield=True), self._scans.job("dispatch_scan"):
                        await self.scan(teams)
                        scanned = True
                    await self._scans.pause()
                    changed = await watch.changes(self.scan_seconds)
                    # The changes a failed scan was given are not given again: the next scan looks at every team.
                    teams = changed if scanned else None
        finally:
            self._group = None
            self.hub.notifier.unwatch(watch)

    async def scan(self, team_ids: set[int] | None = None) -> list[int]:
        """Start what turns are due in these teams (None: every team); the ids of the turns started."""
        if self._group is None:
            raise RuntimeError("the dispatcher is not running")
        started = []
        for agent, runner in await self._runner_agents(team_ids):
            if len(self.running) >= self.max_turns:
                break
            if any(turn.agent.id == agent.id for turn in self.running.values()):
                continue
            try:
                turn = await self._start(agent, runner)
            except SwitchboardError:
                raise  # the database is away: this scan ends, and the next one tries every agent again
            except Exception:
                # One agent whose turn cannot start must not hold up the others behind it in every scan.
                self._scans.failed("turn_start")
                continue
            if turn is not None:
                self.running[turn.id] = turn
                self._group.start_soon(self._run_turn, turn)
                started.append(turn.id)
        return started

    async def _runner_agents(self, team_ids: set[int] | None) -> list[tuple[Agent, Runner]]:
        # Only agents with a runner: a scan follows every change of a team, and most agents have none.
        where = s.agents.c.config["runner"].as_string().is_not(None)
        if team_ids is not None:
            where = sa.and_(s.agents.c.team_id.in_(team_ids), where)
        async with self.hub.db.read() as conn:
            agents = await load_agents(conn, where)
        found = []
        for agent in agents:
            try:
                runner = parse_runner(agent.config.get("runner"))
            except InvalidInput as exc:
                self._refuse(agent, f"its runner settings are invalid: {exc.message}")
                continue
            if runner is not None:
                found.append((agent, runner))
        return found

    async def _start(self, agent: Agent, runner: Runner) -> RunningTurn | None:
        now = self.hub.clock()
        async with self.hub.db.read() as conn:
            if await records.running_turn_of(conn, agent.id) is not None:
                return None
            if not await pending_triggers(conn, agent, now):
                return None
        try:
            async with self.hub.db.write() as conn:
                if await records.running_turn_of(conn, agent.id) is not None:
                    return None
                triggers = await pending_triggers(conn, agent, now)
                if not triggers:
                    return None
                await self._ensure_allowed(conn, agent)
                return await self._insert(conn, agent, runner, triggers)
        except sa.exc.IntegrityError:
            return None  # another hub started this agent's turn, or took the trigger, first
        except LimitExceeded as exc:
            self._refuse(agent, exc.message)
            return None

    async def _ensure_allowed(self, conn: AsyncConnection, agent: Agent) -> None:
        """No turn over the team's daily cost limit, nor for a new agent past its concurrency cap."""
        now = self.hub.clock()
        settings = await team_settings(conn, agent.team_id)
        if settings.max_concurrent_agents is not None:
            settings = await team_settings(conn, agent.team_id, self.hub.db.lock_rows)
        limit = settings.daily_cost_limit_usd
        if limit is not None and (spent := await spent_today(conn, agent.team_id, now)) >= limit:
            raise LimitExceeded(
                f"no turn for {agent.name}: the team spent ${spent:.2f} of its ${limit:.2f} daily limit",
                limit="daily_cost_limit_usd",
            )
        cap = settings.max_concurrent_agents
        if cap is not None:
            busy = await records.busy_agents(conn, agent.team_id)
            if agent.id not in busy and len(busy) >= cap:
                raise LimitExceeded(
                    f"no turn for {agent.name}: {len(busy)} of the team's {cap} agents are at work "
                    "(max_concurrent_agents)",
                    limit="max_concurrent_agents",
                )
        self.refused.pop(agent.id, None)

    async def _insert(
        self, conn: AsyncConnection, agent: Agent, runner: Runner, triggers: list[Trigger]
    ) -> RunningTurn:
        now = self.hub.clock()
        team = await load_team(conn, agent.team_id)
        task_id, worktree = await _task_in_hand(conn, agent, triggers)
        timeout = (
            runner.timeout_seconds if isinstance(runner, CommandRunner) else runner.timeout_seconds * runner.attempts
        )
        issued = await self.hub.keys.issue(
            conn, team.org_id, agent.id, f"turn of {agent.name}", now + timedelta(seconds=timeout) + KEY_GRACE
        )
        turn_id = await records.insert_turn(
            conn,
            team_id=agent.team_id,
            agent_id=agent.id,
            agent_name=agent.name,
            hub_id=self.hub_id,
            runner=runner.type,
            trigger=main_kind(triggers),
            triggers=triggers,
            task_id=task_id,
            prompt="",
            command=runner.command if isinstance(runner, CommandRunner) else runner.url,
            cwd=None,
            key_id=issued.key.id,
            now=now,
            lease_until=records.lease_until(now, self.lease_seconds),
        )
        workdir = Path(worktree) if worktree else self.turns_dir / f"turn-{turn_id}"
        prompt = turn_prompt(
            agent=agent,
            team=team,
            turn_id=turn_id,
            triggers=triggers,
            hub_url=self.hub_url,
            workdir=str(workdir),
            worktree=worktree,
        )
        # On PostgreSQL the insert may have waited for the agent's previous turn to commit its end: the turn starts
        # now, not when this transaction began.
        started = self.hub.clock()
        await conn.execute(
            s.turns.update()
            .where(s.turns.c.id == turn_id)
            .values(
                prompt=prompt,
                cwd=str(workdir),
                started_at=started,
                lease_expires_at=records.lease_until(started, self.lease_seconds),
            )
        )
        turn = RunningTurn(turn_id, agent.team_id, agent, runner, workdir=workdir)
        values = {
            "prompt_file": str(self.turns_dir / f"turn-{turn_id}" / "prompt.md"),
            "hub_url": self.hub_url,
            "mcp_url": f"{self.hub_url}/mcp",
            "task_id": "" if task_id is None else str(task_id),
            "agent": agent.name,
            "team_id": str(agent.team_id),
            "turn_id": str(turn_id),
            "worktree": worktree or "",
            "python": sys.executable,
        }
        if isinstance(runner, CommandRunner):
            turn.argv = runner.argv(values)
            turn.env = _turn_env(runner, values, issued.plaintext)
        turn.payload = {
            "turn_id": turn_id,
            "team_id": agent.team_id,
            "agent": agent.name,
            "trigger": main_kind(triggers).value,
            "triggers": [t.to_json() for t in triggers],
            "task_id": task_id,
            "hub_url": self.hub_url,
            "prompt": prompt,
        }
        turn.payload["prompt_file"] = values["prompt_file"]
        return turn

    async def _run_turn(self, turn: RunningTurn) -> None:
        outcome = RunOutcome(TurnStatus.FAILED, error="the hub stopped during the turn")
        try:
            outcome = await self._run_runner(turn)
        except Exception as exc:  # a runner's failure ends its turn, never the dispatcher
            log.exception("turn %d of %s", turn.id, turn.agent.name)
            outcome = RunOutcome(TurnStatus.ERROR, error=f"{type(exc).__name__}: {exc}")
        finally:
            with anyio.CancelScope(shield=True):
                await self._end(turn, outcome)

    async def _run_runner(self, turn: RunningTurn) -> RunOutcome:
        prompt_dir = self.turns_dir / f"turn-{turn.id}"
        prompt_dir.mkdir(parents=True, exist_ok=True)
        (prompt_dir / "prompt.md").write_text(turn.payload["prompt"], encoding="utf-8")
        if isinstance(turn.runner, WebhookRunner):
            return await post_webhook(turn.runner, turn.payload, self.webhook_backoff_seconds)
        if not turn.workdir.is_dir():
            turn.workdir.mkdir(parents=True, exist_ok=True)
        return await run_command(turn.argv, cwd=turn.workdir, env=turn.env, timeout_seconds=turn.runner.timeout_seconds)

    async def _end(self, turn: RunningTurn, outcome: RunOutcome) -> None:
        try:
            async with self.hub.db.write() as conn:
                await records.end_turn(conn, turn.id, outcome, self.hub.clock())
            self.hub.metrics.turns_ended.labels(outcome=outcome.status.value).inc()
        except SwitchboardError as exc:
            # Left running: its lease runs out and any hub ends it as lost.
            log.warning("turn %d could not be recorded as ended: %s", turn.id, exc.message)
        finally:
            self.running.pop(turn.id, None)

    async def _keep_leases(self) -> None:
        while True:
            await anyio.sleep(self.lease_seconds / 3)
            with anyio.CancelScope(shield=True), self._leases.job("turn_lease_renewal"):
                await self.renew_and_sweep()
            await self._leases.pause()

    async def renew_and_sweep(self) -> list[int]:
        """Renew this hub's turns' leases; end as `lost` the turns whose hub stopped renewing. The lost ids."""
        now = self.hub.clock()
        async with self.hub.db.write() as conn:
            await records.renew_leases(conn, list(self.running), records.lease_until(now, self.lease_seconds))
            lapsed = [t for t in await records.lapsed_turns(conn, now) if t not in self.running]
            lost = RunOutcome(TurnStatus.LOST, error="the hub running this turn stopped renewing its lease")
            for turn_id in lapsed:
                await records.end_turn(conn, turn_id, lost, now)
        if lapsed:
            self.hub.metrics.turns_ended.labels(outcome=lost.status.value).inc(len(lapsed))
            log.warning("%d turn(s) of stopped hubs ended as lost", len(lapsed))
        return lapsed

    def _refuse(self, agent: Agent, reason: str) -> None:
        if self.refused.get(agent.id) != reason:
            self.refused[agent.id] = reason
            log.info("%s", reason)


async def _task_in_hand(conn: AsyncConnection, agent: Agent, triggers: list[Trigger]) -> tuple[int | None, str | None]:
    """The task this turn is about (the first trigger naming one, else the task the agent holds) and the
    worktree of the task the agent holds, if any."""
    T, W = s.tasks, s.task_worktrees
    held = (
        await conn.execute(
            sa.select(T.c.id, W.c.path)
            .outerjoin(W, sa.and_(W.c.task_id == T.c.id, W.c.status == "active"))
            .where(T.c.holder_agent_id == agent.id, T.c.status == "claimed")
            .order_by(T.c.claimed_at.desc())
            .limit(1)
        )
    ).first()
    named = next((t.task_id for t in triggers if t.task_id is not None), None)
    task_id = named if named is not None else (held.id if held is not None else None)
    worktree = held.path if held is not None and held.path and (named is None or named == held.id) else None
    return task_id, worktree


def _turn_env(runner: CommandRunner, values: dict[str, str], key: str) -> dict[str, str]:
    # The hub's own settings (its database URL, say) are not the agent's business.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env.update(runner.env)
    env.update(
        {
            "SWITCHBOARD_URL": values["hub_url"],
            "SWITCHBOARD_MCP_URL": values["mcp_url"],
            "SWITCHBOARD_KEY": key,
            "SWITCHBOARD_AGENT": values["agent"],
            "SWITCHBOARD_TEAM_ID": values["team_id"],
            "SWITCHBOARD_TURN_ID": values["turn_id"],
            "SWITCHBOARD_TASK_ID": values["task_id"],
            "SWITCHBOARD_PROMPT_FILE": values["prompt_file"],
            "SWITCHBOARD_WORKTREE": values["worktree"],
        }
    )
    return env
