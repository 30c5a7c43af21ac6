"""Tenancy and identity: orgs, teams, agents, groups, API keys."""
