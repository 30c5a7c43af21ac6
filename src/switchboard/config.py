"""Settings, read from the environment (``SWITCHBOARD_*``) or given explicitly."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SWITCHBOARD_{name}", default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", ".data")))
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "8000")))
    db_pool_size: int = field(default_factory=lambda: int(_env("DB_POOL_SIZE", "20")))
    # Per key: a bucket of `rate_burst` requests refilled at `rate_per_second`.
    rate_per_second: float = field(default_factory=lambda: float(_env("RATE_PER_SECOND", "200")))
    rate_burst: int = field(default_factory=lambda: int(_env("RATE_BURST", "400")))
    sweep_interval_seconds: float = field(default_factory=lambda: float(_env("SWEEP_INTERVAL", "5")))
    # The dispatcher: turns at once in this hub process, and the URL its turns reach the hub at.
    max_turns: int = field(default_factory=lambda: int(_env("MAX_TURNS", "32")))
    public_url: str = field(default_factory=lambda: _env("PUBLIC_URL", ""))
    dispatch: bool = field(default_factory=lambda: _env("DISPATCH", "1") not in ("0", "false", "no"))

    @property
    def hub_url(self) -> str:
        """Where agents reach this hub: `public_url`, else the address it listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: the configured one, or SQLite in the data directory."""
        url = self.database_url
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'switchboard.db').resolve()}"
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + url.split("://", 1)[1]
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url

    @property
    def admin_key_file(self) -> Path:
        return self.data_dir / "admin.key"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
