"""Messages between agents and people, delivered per recipient."""
