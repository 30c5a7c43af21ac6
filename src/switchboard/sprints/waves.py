"""Pure rules of waves: story ids, which stories a story waits for, and the reason it waits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from switchboard.errors import InvalidInput
from switchboard.sprints.models import STORY_ID, StoryDraft
from switchboard.tasks.dag import find_cycle

REASON_MAX_CHARS = 500  # the width of a task's blocked_reason


@dataclass(frozen=True)
class PlannedStory:
    """A story with its id settled and its place in the sprint."""

    story_id: str
    wave: int
    dependencies: tuple[str, ...]
    position: int
    draft: StoryDraft


def plan_stories(
    drafts: Sequence[StoryDraft], existing: Mapping[str, int] | None = None, first_position: int = 1
) -> list[PlannedStory]:
    """Settle ids (`story-<position>` when missing) and check the stories against each other and `existing`
    (story id -> wave): ids valid and unique, dependencies known and in the same or an earlier wave, no cycle."""
    existing = existing or {}
    planned: list[PlannedStory] = []
    taken = set(existing)
    for offset, draft in enumerate(drafts):
        position = first_position + offset
        story_id = draft.id if draft.id is not None else _free_id(position, taken, drafts)
        if not STORY_ID.match(story_id):
            raise InvalidInput(
                f"story id {story_id!r} must be 1 to 100 letters, digits, '.', '_' or '-'", story_id=story_id
            )
        if story_id in taken:
            raise InvalidInput(f"story id {story_id!r} is used more than once in this sprint", story_id=story_id)
        taken.add(story_id)
        deps = tuple(dict.fromkeys(draft.dependencies))
        planned.append(PlannedStory(story_id, draft.wave, deps, position, draft))
    waves = {**existing, **{p.story_id: p.wave for p in planned}}
    for story in planned:
        _check_dependencies(story, waves)
    _refuse_cycles(planned)
    return planned


def _free_id(position: int, taken: set[str], drafts: Sequence[StoryDraft]) -> str:
    # A missing id is `story-<position>`; if another story already has that name, the next free number.
    named = {d.id for d in drafts if d.id is not None}
    number = position
    while f"story-{number}" in taken or f"story-{number}" in named:
        number += 1
    return f"story-{number}"


def _check_dependencies(story: PlannedStory, waves: Mapping[str, int]) -> None:
    for dep in story.dependencies:
        if dep not in waves:
            raise InvalidInput(
                f"story {story.story_id!r} depends on {dep!r}, which is not a story of this sprint",
                story_id=story.story_id,
                dependency=dep,
            )
        if waves[dep] > story.wave:
            raise InvalidInput(
                f"story {story.story_id!r} (wave {story.wave}) cannot depend on {dep!r} of the later wave "
                f"{waves[dep]}: a story may only wait for stories of its own or an earlier wave",
                story_id=story.story_id,
                dependency=dep,
            )


def _refuse_cycles(planned: Sequence[PlannedStory]) -> None:
    # Waves order stories across waves, so a cycle can only run among stories of one wave.
    waves = {p.story_id: p.wave for p in planned}
    edges = {p.story_id: [d for d in p.dependencies if waves.get(d) == p.wave] for p in planned}
    cycle = find_cycle(edges)
    if cycle is not None:
        raise InvalidInput(f"dependency cycle among stories: {' -> '.join(cycle)}", cycle=cycle)


def prerequisites(wave: int, dependencies: Sequence[str], waves: Mapping[str, int]) -> list[str]:
    """Every story a story of `wave` waits for: all stories of earlier waves, and its own dependencies."""
    earlier = [story_id for story_id, w in waves.items() if w < wave]
    return list(dict.fromkeys([*earlier, *dependencies]))


def waiting_reason(key: str, wave: int, earlier: Sequence[str], same_wave: Sequence[str]) -> str | None:
    """What a blocked story waits for: unfinished stories of earlier waves, and of its own wave it depends on."""
    parts = []
    if earlier:
        parts.append(f"{_names(earlier)} ({key}: wave {wave} opens when every earlier wave is done)")
    if same_wave:
        parts.append(f"{_names(same_wave)} of wave {wave}")
    if not parts:
        return None
    return ("waiting for " + " and for ".join(parts))[:REASON_MAX_CHARS]


def _names(story_ids: Sequence[str]) -> str:
    shown = ", ".join(story_ids[:3])
    return shown + (f" and {len(story_ids) - 3} more" if len(story_ids) > 3 else "")
