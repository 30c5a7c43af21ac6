"""The C allocator's settings for a long-running hub process."""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value


def pin_mmap_threshold() -> None:
    """Keep glibc's mmap threshold at its starting value, so that the hub's memory stays flat under load.

    asyncio reads each socket into a 256 KiB buffer and shrinks it to what arrived. glibc serves the first such
    buffers with mmap, but freeing one raises its threshold past 256 KiB, and from then on every read buffer is
    cut from the heap: the heap fragments and the process grew by about 4 MiB a minute under 200 agents on
    PostgreSQL (`make soak`), with the live Python objects flat. A fixed threshold (the same as setting
    MALLOC_MMAP_THRESHOLD_) keeps those buffers out of the heap. Elsewhere than glibc this does nothing.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no libc.so.6 nor mallopt)
        return
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
