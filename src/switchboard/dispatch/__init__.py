"""The dispatcher: it starts a turn for an agent with a runner when the agent has something new to act on."""
