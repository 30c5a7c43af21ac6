"""Property-based tests of the dependency rules, through the real services on both backends.

Each example works in a team of its own on one hub per test; Hypothesis draws the graph, how it is split over
two batches, the order of the items in each batch, and which task is claimed and how it ends at each step.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.errors import Conflict, InvalidInput
from switchboard.tasks.models import Task, TaskDraft, TaskStatus
from switchboard.tasks.service import TaskFilters
from tests.conftest import Member, World
from tests.fuzz.portal import PortalHub, portal_hub

__all__ = ["portal_hub"]

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OUTCOMES = ["SUCCESS", "SKIPPED", "FAILED"]


@dataclass(frozen=True)
class Dag:
    """Nodes 0..n-1 where each depends only on lower nodes; nodes below `split` are created in a first batch."""

    deps: tuple[tuple[int, ...], ...]
    split: int
    orders: tuple[tuple[int, ...], tuple[int, ...]]


@st.composite
def dags(draw: st.DrawFn) -> Dag:
    size = draw(st.integers(1, 7))
    deps = tuple(
        tuple(sorted(draw(st.sets(st.integers(0, node - 1), max_size=3)))) if node else () for node in range(size)
    )
    split = draw(st.integers(0, size))
    first = tuple(draw(st.permutations(range(split))))
    second = tuple(draw(st.permutations(range(split, size))))
    return Dag(deps, split, (first, second))


def ref(node: int) -> str:
    return f"n{node}"


def create_dag(env: PortalHub, world: World, dag: Dag) -> dict[int, int]:
    """Node -> task id; the second batch names first-batch tasks by id and its own items by ref."""
    ids: dict[int, int] = {}
    for order in dag.orders:
        if not order:
            continue
        drafts = [
            TaskDraft(
                title=f"node {node}",
                ref=ref(node),
                depends_on=[ids[d] if d in ids else ref(d) for d in dag.deps[node]],
            )
            for node in order
        ]
        created = env.call(env.hub.tasks.create_tasks_batch, world.admin, drafts, world.team.id)
        ids.update({int(task.title.removeprefix("node ")): task.id for task in created})
    return ids


def team_tasks(env: PortalHub, world: World) -> dict[int, Task]:
    page = env.call(env.hub.tasks.list_tasks, world.admin, TaskFilters(), world.team.id)
    assert page.next_cursor is None
    return {task.id: task for task in page.items}


def expected_open_status(dag: Dag, node: int, status_of: dict[int, TaskStatus]) -> TaskStatus:
    done = all(status_of[d] == TaskStatus.DONE for d in dag.deps[node])
    return TaskStatus.READY if done else TaskStatus.BLOCKED


def check_readiness(env: PortalHub, world: World, dag: Dag, ids: dict[int, int]) -> dict[int, TaskStatus]:
    """Every unclaimed open task is ready exactly when all its dependencies are done."""
    tasks = team_tasks(env, world)
    assert set(tasks) == set(ids.values())
    status_of = {node: tasks[ids[node]].status for node in ids}
    for node, status in status_of.items():
        if status in (TaskStatus.READY, TaskStatus.BLOCKED):
            assert status == expected_open_status(dag, node, status_of), (node, dag, status_of)
            assert (tasks[ids[node]].blocked_reason is None) == (status == TaskStatus.READY)
        assert tasks[ids[node]].depends_on == tuple(sorted(ids[d] for d in dag.deps[node]))
    return status_of


def test_random_dags_and_completion_orders_keep_readiness_exact(portal_hub: PortalHub) -> None:
    env = portal_hub

    @EXAMPLES
    @given(dag=dags(), data=st.data())
    def run(dag: Dag, data: st.DataObject) -> None:
        world = env.new_world()
        builder: Member = env.call(world.agent, "builder")
        ids = create_dag(env, world, dag)
        status_of = check_readiness(env, world, dag, ids)
        while True:
            open_nodes = [n for n, s in status_of.items() if not s.is_terminal]
            ready = [n for n in open_nodes if status_of[n] == TaskStatus.READY]
            if not ready:
                break
            node = data.draw(st.sampled_from(open_nodes), label="task to claim")
            if status_of[node] == TaskStatus.BLOCKED:
                try:
                    env.call(env.hub.claims.claim_task, builder.principal, ids[node])
                except Conflict:
                    pass
                else:
                    raise AssertionError(f"claimed node {node} before its dependencies were done")
                continue
            if data.draw(st.booleans(), label="claim next instead"):
                claimed = env.call(env.hub.claims.claim_next, builder.principal)
                assert claimed is not None
                node = next(n for n, i in ids.items() if i == claimed.id)
                assert node in ready
            else:
                env.call(env.hub.claims.claim_task, builder.principal, ids[node])
            outcome = data.draw(st.sampled_from(OUTCOMES), label="outcome")
            env.call(env.hub.claims.complete_task, builder.principal, ids[node], outcome)
            status_of = check_readiness(env, world, dag, ids)
        # What stays open now waits on a failed dependency, somewhere up its chain, and claim_next finds nothing.
        assert env.call(env.hub.claims.claim_next, builder.principal) is None
        assert all(status_of[n] == TaskStatus.BLOCKED for n, s in status_of.items() if not s.is_terminal)

    run()


@st.composite
def cyclic_batches(draw: st.DrawFn) -> tuple[list[list[int]], list[int]]:
    """Random edges among up to 7 items plus one forced cycle through 1 to all of them."""
    size = draw(st.integers(1, 7))
    deps = [sorted(draw(st.sets(st.integers(0, size - 1), max_size=3))) for _ in range(size)]
    cycle = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=size, unique=True))
    for here, there in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        if there not in deps[here]:
            deps[here].append(there)
    return deps, cycle


def test_random_cycles_are_refused_with_nothing_created(portal_hub: PortalHub) -> None:
    env = portal_hub

    @EXAMPLES
    @given(case=cyclic_batches(), with_existing=st.booleans())
    def run(case: tuple[list[list[int]], list[int]], with_existing: bool) -> None:
        deps, _cycle = case
        world = env.new_world()
        before: list[int] = []
        if with_existing:
            created = env.call(env.hub.tasks.create_tasks_batch, world.admin, [TaskDraft(title="old")], world.team.id)
            before = [t.id for t in created]
        drafts = [
            TaskDraft(title=f"node {i}", ref=ref(i), depends_on=[*before, *(ref(d) for d in node_deps)])
            for i, node_deps in enumerate(deps)
        ]
        try:
            env.call(env.hub.tasks.create_tasks_batch, world.admin, drafts, world.team.id)
        except InvalidInput as exc:
            assert "cycle" in str(exc)
        else:
            raise AssertionError(f"a batch with a cycle was accepted: {deps}")
        assert sorted(team_tasks(env, world)) == before

    run()
