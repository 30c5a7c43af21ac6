"""The dispatcher's scene (a hub on the real clock, agents with runner scripts) for the turn metrics."""

from tests.dispatch.conftest import live_hub, scene

__all__ = ["live_hub", "scene"]
