"""Sprints: stories in waves, each story a task."""
