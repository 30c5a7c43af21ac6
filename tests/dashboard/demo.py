"""A demo team for the screenshots: agents at work on a payments feature, a sprint in waves, reviews, messages,
questions, alerts, turns the hub's dispatcher ran and two weeks of spending, put on a live hub the way agents and
people would."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from switchboard.storage import schema
from tests.dashboard.browser import Team, new_team
from tests.live_hub import LiveHub

AGENTS = (("builder", "engineer"), ("frontend", "engineer"), ("ops", "engineer"), ("reviewer", "reviewer"))
TASKS = [
    {"ref": "schema", "title": "Design the payments schema", "priority": "high", "target": "builder"},
    {"ref": "staging", "title": "Set up the staging database", "target": "ops", "tags": ["infra"]},
    {
        "ref": "api",
        "title": "Add the /api/payments endpoint",
        "priority": "high",
        "target": "builder",
        "depends_on": ["schema"],
        "tags": ["backend"],
        "instructions": (
            "POST /api/payments creates a payment intent for an order.\n\n- Validate the amount and currency against "
            "the order.\n- Store the intent in the payments table (see the schema task).\n- Return 201 with the "
            "intent's id and client secret.\n\nTests: happy path, wrong currency, order already paid."
        ),
    },
    {"ref": "webhook", "title": "Receive the card processor's webhooks", "depends_on": ["schema"], "tags": ["backend"]},
    {"ref": "checkout", "title": "Checkout page", "target": "frontend", "depends_on": ["api"], "tags": ["web"]},
    {"ref": "receipts", "title": "Send receipt emails", "depends_on": ["api", "webhook"], "tags": ["backend"]},
    {"ref": "load", "title": "Load test the checkout", "priority": "low", "depends_on": ["checkout", "staging"]},
    {"ref": "ci", "title": "Fix the flaky CI job", "target": "ops", "tags": ["infra"]},
    {"ref": "flag", "title": "Remove the legacy billing flag", "priority": "low"},
    {"ref": "docs", "title": "Document the payments API", "priority": "low", "depends_on": ["api"], "tags": ["docs"]},
    {"ref": "keys", "title": "Rotate the processor's API keys", "priority": "critical", "target": "ops"},
]
STORIES = [
    {"id": "refund-schema", "title": "Refunds table and migration", "wave": 1},
    {"id": "refund-policy", "title": "Refund policy in config", "wave": 1},
    {"id": "refund-api", "title": "POST /refunds", "wave": 2, "dependencies": ["refund-schema"]},
    {"id": "refund-ui", "title": "Refund button in the admin", "wave": 2, "target": "frontend"},
    {"id": "refund-e2e", "title": "End-to-end refund tests", "wave": 3, "dependencies": ["refund-api", "refund-ui"]},
]
DAILY_LIMIT_USD = 12.0
# Commands the dispatcher runs as turns of builder and ops: a quick one that succeeds and one that fails.
RUNNERS = {
    "builder": (
        "{python} -c \"print('{agent}, turn {turn_id}, task #{task_id}'); "
        "print('pytest tests/test_payments.py: 9 passed in 1.42s'); print('reported progress: 60%')\""
    ),
    "ops": (
        "{python} -c \"import sys; print('{agent}, turn {turn_id}: resizing the CI runner volume'); "
        "print('error: the volume is attached to a running instance'); sys.exit(1)\""
    ),
}
# The dispatcher finds a new runner at its next scan, within seconds; the turns themselves take a moment.
TURNS_WITHIN_SECONDS = 60.0


@dataclass
class Demo:
    team: Team
    tasks: dict[str, int]
    sprint_id: int


def seed_demo(hub: LiveHub) -> Demo:
    team = new_team(hub, "Payments")
    for name, role in AGENTS:
        team.agent(name, role)
    team.call("PATCH", f"/settings/teams/{team.id}", daily_cost_limit_usd=DAILY_LIMIT_USD, max_concurrent_agents=4)
    created = team.call("POST", f"/teams/{team.id}/tasks/batch", tasks=TASKS)["tasks"]
    tasks = {draft["ref"]: task["id"] for draft, task in zip(TASKS, created, strict=True)}
    _work(team, tasks)
    sprint_id = _sprint(team)
    _talk(team, tasks)
    _spend_history(hub, team)
    _turns(team, tasks)
    return Demo(team, tasks, sprint_id)


def _work(team: Team, tasks: dict[str, int]) -> None:
    keys = team.keys
    _finish(team, "builder", tasks["schema"], "Schema in migrations/0007_payments.sql", 1.84)
    _approved(team, tasks["staging"])
    _finish(team, "ops", tasks["keys"], "Rotated; old keys revoked at 14:00 UTC", 0.21)
    _changes_requested(team, tasks["api"])
    team.call("PATCH", f"/tasks/{tasks['api']}", keys["builder"], progress=60, current_action="writing handler tests")
    team.call("POST", f"/tasks/{tasks['ci']}/claim", keys["ops"])
    team.call(
        "POST",
        f"/tasks/{tasks['ci']}/complete",
        keys["ops"],
        completed_status="FAILED",
        result="The runner ran out of disk; needs a bigger volume",
        cost_usd=0.35,
        model="claude-haiku",
    )
    team.call("POST", f"/tasks/{tasks['flag']}/cancel", reason="kept for the EU launch")
    team.call("POST", f"/tasks/{tasks['webhook']}/claim", keys["frontend"])
    team.call(
        "PATCH", f"/tasks/{tasks['webhook']}", keys["frontend"], progress=90, current_action="signatures verified"
    )
    team.call(
        "POST",
        f"/tasks/{tasks['webhook']}/review-request",
        keys["frontend"],
        summary="Webhook receiver with signature checks; replayed events are ignored.",
    )


def _approved(team: Team, task_id: int) -> None:
    ops, reviewer = team.keys["ops"], team.keys["reviewer"]
    team.call("POST", f"/tasks/{task_id}/claim", ops)
    usage = {"tokens_in": 55_800, "tokens_out": 7_440, "cost_usd": 0.62, "model": "claude-sonnet"}
    team.call("POST", "/usage", ops, task_id=task_id, **usage)
    team.call("POST", f"/tasks/{task_id}/review-request", ops, summary="staging-db.internal is up, seeded nightly")
    team.call("POST", f"/tasks/{task_id}/reviews", reviewer, verdict="approve", summary="Seed job is idempotent.")


def _changes_requested(team: Team, task_id: int) -> None:
    builder, reviewer = team.keys["builder"], team.keys["reviewer"]
    team.call("POST", f"/tasks/{task_id}/claim", builder)
    team.call("POST", f"/tasks/{task_id}/review-request", builder, summary="Handler and the happy-path test.")
    team.call(
        "POST",
        f"/tasks/{task_id}/reviews",
        reviewer,
        verdict="request_changes",
        summary="Close: two of the cases in the instructions are missing.",
        comments=[
            {"file": "tests/test_payments.py", "line": 48, "body": "Add the wrong-currency case."},
            {"file": "app/payments.py", "line": 112, "body": "An order already paid answers 409, not 400."},
        ],
    )


def _finish(team: Team, agent: str, task_id: int, result: str, cost: float) -> None:
    key = team.keys[agent]
    team.call("POST", f"/tasks/{task_id}/claim", key)
    team.call(
        "POST",
        f"/tasks/{task_id}/complete",
        key,
        completed_status="SUCCESS",
        result=result,
        tokens_in=int(cost * 90_000),
        tokens_out=int(cost * 12_000),
        cost_usd=cost,
        model="claude-sonnet",
    )


def _sprint(team: Team) -> int:
    sprint = team.call(
        "POST", f"/teams/{team.id}/sprints", project_name="Refunds", branch="feature/refunds", stories=STORIES
    )
    builder = team.keys["builder"]
    for story in ("refund-schema", "refund-policy"):
        team.call("PATCH", f"/sprints/{sprint['id']}/stories/{story}", builder, status="active")
        team.call("PATCH", f"/sprints/{sprint['id']}/stories/{story}", builder, status="done")
    team.call(
        "PATCH",
        f"/sprints/{sprint['id']}/stories/refund-api",
        builder,
        status="active",
        progress=35,
        current_action="validating partial refunds",
    )
    return int(sprint["id"])


def _talk(team: Team, tasks: dict[str, int]) -> None:
    keys = team.keys
    manager = team.agent("manager", "manager")
    team.call(
        "POST",
        f"/teams/{team.id}/messages",
        manager,
        target="builders",
        message_type="DIRECTIVE",
        message="New branch for payments: feature/payments. Rebase before you push.",
    )
    status = team.call(
        "POST",
        f"/teams/{team.id}/messages",
        keys["builder"],
        target="manager",
        message_type="STATUS",
        message="Endpoint handler done, writing tests now.",
        task_id=tasks["api"],
    )
    team.call(
        "POST",
        f"/teams/{team.id}/messages",
        manager,
        target="builder",
        message_type="ACK",
        message="Good. Ask for a review when CI is green.",
        reply_to=status["id"],
    )
    team.call(
        "POST",
        f"/teams/{team.id}/messages",
        target="all",
        message_type="DIRECTIVE",
        priority="high",
        message="Deploy freeze from Friday 16:00 UTC.",
    )
    team.call(
        "POST",
        f"/teams/{team.id}/questions",
        keys["builder"],
        task_id=tasks["api"],
        options=["yes", "no"],
        question="Should refunds over $500 need a second approval?",
    )
    team.call(
        "POST",
        f"/teams/{team.id}/questions",
        keys["frontend"],
        question="Which currency formatter should checkout use: Intl.NumberFormat or our own?",
    )
    approval = team.call(
        "POST",
        f"/teams/{team.id}/questions",
        keys["ops"],
        kind="approval",
        question="Drop the legacy billing tables on staging?",
    )
    team.call("POST", f"/questions/{approval['id']}/answer", answer="approve")
    team.call("POST", f"/teams/{team.id}/alerts", keys["ops"], message="Staging disk at 91%", priority="high")


def _spend_history(hub: LiveHub, team: Team) -> None:
    """Two weeks of reported usage. Reports are always dated now, so earlier days go straight into the ledger."""
    assert hub.database is None, "the demo's history is written to the SQLite file"
    engine = sa.create_engine(f"sqlite:///{hub.data_dir / 'switchboard.db'}")
    agents = {a["name"]: a["id"] for a in team.call("GET", f"/teams/{team.id}/agents")["agents"]}
    now = datetime.now(UTC)
    spread = random.Random(7)
    rows = [
        {
            "team_id": team.id,
            "agent_id": agents[name],
            "task_id": None,
            "source": "report",
            "tokens_in": 40_000,
            "tokens_out": 6_000,
            "cost_usd": round(spread.uniform(0.5, 5.0), 2),
            "model": "claude-sonnet",
            "at": now - timedelta(days=day, hours=spread.uniform(0, 6)),
        }
        for day in range(1, 14)
        for name in ("builder", "frontend", "ops")
    ]
    with engine.begin() as conn:
        conn.execute(schema.usage_records.insert(), rows)
    engine.dispose()


def _turns(team: Team, tasks: dict[str, int]) -> None:
    """Runners for builder and ops: each gets one turn for what is new for it (for builder, the review's verdict),
    then a message about the endpoint gives builder a second one."""
    agents = {a["name"]: a["id"] for a in team.call("GET", f"/teams/{team.id}/agents")["agents"]}
    for name, command in RUNNERS.items():
        team.call("PATCH", f"/agents/{agents[name]}", runner={"type": "command", "command": command})
    for name in RUNNERS:
        _wait_for_turns(team, name, 1)
    team.call(
        "POST",
        f"/teams/{team.id}/messages",
        team.keys["manager"],
        target="builder",
        message_type="DIRECTIVE",
        message="CI is green again; finish the two cases and ask for review.",
        task_id=tasks["api"],
    )
    _wait_for_turns(team, "builder", 2)


def _wait_for_turns(team: Team, agent: str, count: int) -> None:
    """Until the agent's turns number `count`, all ended: the dispatcher runs in the hub's process, so the
    turns are read again after a short pause."""
    deadline = time.monotonic() + TURNS_WITHIN_SECONDS
    while True:
        turns = team.call("GET", f"/teams/{team.id}/turns?agent={agent}")["turns"]
        if len(turns) >= count and all(t["ended_at"] for t in turns):
            assert len(turns) == count, turns
            return
        assert time.monotonic() < deadline, f"{agent} has not had {count} turns: {turns}"
        time.sleep(0.1)
