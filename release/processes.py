"""Child processes that never outlive the run that started them."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

#: Run before the child's own program, in the child: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` has
#: the kernel kill it when its parent dies (even by ``kill -9``), then ``execv`` becomes the
#: program (the setting survives exec). A parent already gone by then ends the child at once.
_PRELUDE = """\
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != int(sys.argv[1]):
        sys.exit(137)
os.execv(sys.argv[2], sys.argv[2:])
"""


def dying_with_us(command: Sequence[str]) -> list[str]:
    """``command`` (an absolute program path first) made to die when this process dies.

    A prelude rather than ``preexec_fn``, which is unsafe in a process with threads. Linux
    only; elsewhere the child is left to its process group.
    """
    return [sys.executable, "-S", "-c", _PRELUDE, str(os.getpid()), *command]
