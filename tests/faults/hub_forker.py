"""`python -P hub_forker.py ARGS`: import the hub's code once, then for each line read on stdin (a log file's path)
fork a process that runs `switchboard ARGS` with its output in that file, and answer with its process id.

Each hub is a process of its own, killed for real; forking it from here spares every restart the seconds Python
takes to import the hub, which would otherwise be most of a crash test's time. End of input ends the forker.
"""

import ctypes
import os
import signal
import sys
import threading
import traceback

from switchboard.cli import main

PR_SET_PDEATHSIG = 1


def serve(log_path: str) -> None:
    """In the forked child: run the hub, never return to the forker's loop."""
    code = 1
    try:
        # Should the forker end (its test gone), the hub goes too.
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.argv = ["switchboard", *sys.argv[1:]]
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    # A fork copies only the thread that forks: the hub's code must not have started any on import.
    assert threading.active_count() == 1, threading.enumerate()
    # The forker never waits for its children; the kernel reaps them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            serve(line.strip())
        print(pid, flush=True)
