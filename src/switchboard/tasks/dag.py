"""Pure rules of the dependency graph."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def find_cycle(edges: Mapping[Node, Iterable[Node]]) -> list[Node] | None:
    """A cycle among `edges` (node -> nodes it depends on) as a path that ends where it starts, or None."""
    white, grey, black = 0, 1, 2
    colour: dict[Node, int] = {}
    for root in edges:
        if colour.get(root, white) != white:
            continue
        colour[root] = grey
        path = [root]
        stack = [iter(edges.get(root, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(nxt, white)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(edges.get(nxt, ())))
    return None


def depths(edges: Mapping[Node, Iterable[Node]]) -> dict[Node, int]:
    """How deep each node of an acyclic graph sits: 0 without dependencies among `edges`, else one more than its
    deepest dependency. Dependencies that are not keys of `edges` are ignored."""
    pending = {node: [d for d in deps if d in edges] for node, deps in edges.items()}
    dependents: dict[Node, list[Node]] = {node: [] for node in edges}
    for node, deps in pending.items():
        for dep in deps:
            dependents[dep].append(node)
    waiting = {node: len(deps) for node, deps in pending.items()}
    depth = dict.fromkeys(edges, 0)
    ready = [node for node, count in waiting.items() if count == 0]
    while ready:
        node = ready.pop()
        for later in dependents[node]:
            depth[later] = max(depth[later], depth[node] + 1)
            waiting[later] -= 1
            if waiting[later] == 0:
                ready.append(later)
    return depth
