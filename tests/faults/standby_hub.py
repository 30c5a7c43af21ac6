"""`python -P standby_hub.py ARGS`: import the hub's code, wait for a line on stdin, then run `switchboard ARGS`.

A test starts the next hub process while the current one still serves, so that a restart after a kill costs what
the hub itself does when it starts (migrations, the admin key, binding the port) rather than Python importing it.
End of input instead of a line: the hub was not needed, and the process exits.
"""

import sys

from switchboard.cli import main

if __name__ == "__main__":
    if not sys.stdin.readline():
        sys.exit(0)
    sys.argv = ["switchboard", *sys.argv[1:]]
    main()
