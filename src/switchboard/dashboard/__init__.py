"""The dashboard: web pages served by the hub, where people watch a team, answer questions and set limits."""
