"""The `switchboard` command: run the hub, set up a team, and work with tasks from a terminal.

Exit codes: 0 done, 1 the hub refused, 2 usage error, 3 no hub answered.
"""

from __future__ import annotations

import typer

from switchboard import __version__
from switchboard.cli import (
    dashboard,
    demo,
    messages,
    questions,
    repos,
    reviews,
    server,
    sprints,
    state,
    tasks,
    team,
    turns,
    usage,
    webhooks,
)

app = typer.Typer(
    name="switchboard",
    help="Coordination hub for teams of AI coding agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(server.serve)
app.command()(server.migrate)
app.command()(server.dispatcher)
app.command()(demo.demo)
app.command()(server.mcp)
app.command()(team.init)
team.agent_app.command("runner")(turns.agent_runner)
app.command()(dashboard.dashboard)
app.add_typer(team.agent_app, name="agent")
app.add_typer(turns.turn_app, name="turn")
app.add_typer(team.key_app, name="key")
app.add_typer(tasks.task_app, name="task")
app.add_typer(webhooks.webhook_app, name="webhook")
messages.register(app)
sprints.register(app)
state.register(app)
questions.register(app)
usage.register(app)
repos.register(app)
reviews.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    pass


def main() -> None:
    app()
