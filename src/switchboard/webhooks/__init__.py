"""Outgoing webhooks: a team's URLs told about chosen events, each delivery signed, retried and recorded."""
