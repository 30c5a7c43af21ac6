"""The system prompts that tell an agent how to work in its role, with this hub's tools by name."""

from __future__ import annotations

from switchboard.prompts.roles import ROLES, role_prompt

__all__ = ["ROLES", "role_prompt"]
