"""Memory settings for a long-running hub process: the C allocator's, and the garbage collector's."""

from __future__ import annotations

import ctypes
import gc
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


def freeze_startup_objects() -> None:
    """Leave what the hub built at startup out of the garbage collector's full collections from now on.

    A full collection walks every tracked object, and after startup those are mostly the hub's own (modules,
    schemas, compiled statements, the routes): about 100 ms each time, a pause every request waiting then sits
    out. Under 600 MCP calls a second that was every second or so, and it set the p99. Frozen, they are never
    walked again; what requests make afterwards is collected as before.
    """
    gc.collect()
    gc.freeze()
