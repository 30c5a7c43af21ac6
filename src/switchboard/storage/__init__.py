"""Storage: the engine (SQLite or PostgreSQL), the schema and its migrations."""

from switchboard.storage.database import Database

__all__ = ["Database"]
