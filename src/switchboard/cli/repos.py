"""CLI commands for git: `repo add|list|remove`, and a task's `diff` and `merge`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from switchboard.cli._common import (
    JsonOption,
    KeyOption,
    TeamOption,
    UrlOption,
    hub_session,
    print_json,
    report,
    resolve_team,
    say,
    table,
)
from switchboard.cli.tasks import TaskId, task_app
from switchboard.client import DEFAULT_URL

repo_app = typer.Typer(help="Git repositories whose worktrees the team's tasks work in.", no_args_is_help=True)


class Strategy(StrEnum):
    MERGE = "merge"
    SQUASH = "squash"
    REBASE = "rebase"


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
    task_app.command("diff")(task_diff)
    task_app.command("merge")(task_merge)


@repo_app.command("add")
def repo_add(
    path: Annotated[Path, typer.Argument(help="The git working tree (on the hub's machine).")],
    name: Annotated[str | None, typer.Option(help="A short name; default the folder's name.")] = None,
    base: Annotated[str, typer.Option("--base", help="The branch tasks start from and merge into.")] = "main",
    prefix: Annotated[str, typer.Option("--prefix", help="What task branch names start with.")] = "task/",
    strategy: Annotated[Strategy, typer.Option(case_sensitive=False, help="How branches merge.")] = Strategy.MERGE,
    worktree_root: Annotated[
        Path | None, typer.Option("--worktree-root", help="Folder for worktrees; default PATH/.worktrees.")
    ] = None,
    merge_on_approve: Annotated[
        bool, typer.Option("--merge-on-approve", help="Merge a task's branch when its review approves.")
    ] = False,
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a git repository: each claimed task of the team gets its own worktree and branch of it."""
    absolute = path.expanduser().resolve()
    body: dict[str, Any] = {
        "name": name or absolute.name,
        "path": str(absolute),
        "base_branch": base,
        "branch_prefix": prefix,
        "merge_strategy": strategy.value,
        "merge_on_approve": merge_on_approve,
    }
    if worktree_root is not None:
        body["worktree_root"] = str(worktree_root.expanduser().resolve())
    with hub_session(url, key) as client:
        answer = client.post(f"/teams/{resolve_team(client, team)}/repositories", body)
    report(answer, as_json, f"registered repository #{answer['id']} {answer['name']} ({answer['path']})")


@repo_app.command("list")
def repo_list(
    team: TeamOption = None, url: UrlOption = DEFAULT_URL, key: KeyOption = None, as_json: JsonOption = False
) -> None:
    """The team's repositories."""
    with hub_session(url, key) as client:
        answer = client.get(f"/teams/{resolve_team(client, team)}/repositories")
    if as_json:
        print_json(answer)
        return
    rows = [
        (r["id"], r["name"], r["path"], r["base_branch"], r["branch_prefix"], r["merge_strategy"])
        for r in answer["repositories"]
    ]
    table(None, ["id", "name", "path", "base", "prefix", "strategy"], rows)


@repo_app.command("remove")
def repo_remove(
    repository_id: Annotated[int, typer.Argument(help="The repository's id (see `repo list`).")],
    team: TeamOption = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forget a repository; refused while a task works in one of its worktrees."""
    with hub_session(url, key) as client:
        answer = client.delete(f"/teams/{resolve_team(client, team)}/repositories/{repository_id}")
    report(answer, as_json, f"removed repository {answer['name']}")


def task_diff(
    task_id: TaskId,
    files_only: Annotated[bool, typer.Option("--files", help="Only the changed files.")] = False,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """What a task's branch changed against the commit it started from."""
    with hub_session(url, key) as client:
        answer = client.get(f"/tasks/{task_id}/diff", files_only=files_only or None)
    if as_json:
        print_json(answer)
        return
    if files_only or not answer.get("diff"):
        table(None, ["status", "path"], [(f["status"], f["path"]) for f in answer["changed_files"]])
        return
    typer.echo(answer["diff"], nl=False)
    if answer["truncated"]:
        say("(diff truncated at 1 MiB)")


def task_merge(
    task_id: TaskId,
    strategy: Annotated[
        Strategy | None, typer.Option(case_sensitive=False, help="Default: the repository's strategy.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Merge a task's branch into the base branch; a conflict is reported and changes nothing."""
    with hub_session(url, key) as client:
        answer = client.post(f"/tasks/{task_id}/merge", {"strategy": strategy.value} if strategy else {})
    report(answer, as_json, f"merged {answer['branch']} into {answer['base_branch']} as {answer['merge_commit']}")
