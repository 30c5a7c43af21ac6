"""Tasks: dependencies, atomic claims, leases, completion, events."""
