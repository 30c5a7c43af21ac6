from switchboard.tasks.dag import depths, find_cycle


def test_an_acyclic_graph_has_no_cycle() -> None:
    assert find_cycle({1: [2, 3], 2: [3], 3: []}) is None


def test_a_cycle_is_returned_as_a_closed_path() -> None:
    cycle = find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}


def test_a_self_dependency_is_a_cycle() -> None:
    assert find_cycle({1: [1]}) == [1, 1]


def test_a_long_chain_does_not_exhaust_the_stack() -> None:
    chain = {i: [i + 1] for i in range(20_000)}
    assert find_cycle(chain) is None
    chain[20_000] = [0]
    assert find_cycle(chain) is not None


def test_depth_is_one_more_than_the_deepest_dependency() -> None:
    assert depths({1: [], 2: [1], 3: [1, 2], 4: []}) == {1: 0, 2: 1, 3: 2, 4: 0}


def test_depth_ignores_dependencies_outside_the_graph() -> None:
    assert depths({5: [99], 6: [5]}) == {5: 0, 6: 1}


def test_depth_of_a_long_chain_does_not_exhaust_the_stack() -> None:
    chain = {i: [i - 1] if i else [] for i in range(20_000)}
    assert depths(chain)[19_999] == 19_999
