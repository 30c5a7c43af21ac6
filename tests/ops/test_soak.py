"""The soak (`make soak`) run for a few seconds with a few agents: it makes progress, reads its figures from
/metrics, and counts no errors, so that the long run cannot rot unnoticed."""

from __future__ import annotations

from pathlib import Path

from bench.soak import SoakOptions, soak, summary

AGENTS = 8


async def test_a_short_soak_makes_progress_without_errors(tmp_path: Path, database_url: str) -> None:
    url = None if database_url.startswith("sqlite") else database_url
    options = SoakOptions(seconds=4, agents=AGENTS, processes=1, sample_seconds=1, backlog=20, batch=10)
    lines: list[str] = []

    report = await soak(url, tmp_path / "data", options, lines.append)

    assert report.error_count == 0, summary(report)
    assert len(report.samples) >= 3 and len(lines) >= 3 + len(report.samples)
    assert report.total.claims > 0 and report.counts["completed"] > 0
    assert report.counts["connected"] == AGENTS
    for tool in ("claim_next", "heartbeat", "complete_task", "send_message", "get_messages", "create_tasks_batch"):
        assert report.total.tools[tool].count > 0, tool
    assert all(s.rss_mib > 0 for s in report.samples)
    assert "| claims per second (/metrics) |" in summary(report)
