"""Which process is doing a piece of long work (a job, a tuning study, a pipeline run), recorded with
it, so that work left "running" by a process that has since died (a killed server, a CLI run stopped
with Ctrl-C or kill -9) can be told apart from work another live process is still doing (a CLI run
beside the server, a second server on the same workspace).

An owner is this machine's name, the process id and the process's start time: a process id alone is
reused (a restarted container often runs the server as the same pid), the start time is not.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _boot_id() -> str | None:
    text = _read("/proc/sys/kernel/random/boot_id")
    return text.strip() if text else None


def _process_start(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks after boot (Linux), or None when it is not running,
    is a zombie, or the system has no /proc."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the command name may hold spaces and brackets
    if not fields or fields[0] in ("Z", "X"):  # killed but not yet reaped by its parent: gone
        return None
    return int(fields[19])  # field 22 of stat(5); fields here start at field 3


def this_process() -> str:
    """The owner text of the calling process (recorded with the work it starts)."""
    return process_owner(os.getpid())


def process_owner(pid: int) -> str:
    """The owner text of process ``pid`` of this machine as it runs now (its start time included, so
    a later process given the same pid is not taken for it)."""
    return json.dumps(
        {"host": socket.gethostname(), "pid": pid, "started": _process_start(pid), "boot": _boot_id()}, sort_keys=True
    )


def _parse(owner: str | None) -> dict | None:
    try:
        value = json.loads(owner) if owner else None
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("pid"), int) else None


def is_this_process(owner: str | None) -> bool:
    return _parse(owner) == json.loads(this_process())


def is_alive(owner: str | None) -> bool:
    """Whether the process that recorded ``owner`` still runs. Work recorded before owners were kept
    (no owner) counts as gone. A process on another machine cannot be checked from here and counts as
    alive: marking its work interrupted while it runs would be worse than showing it as running."""
    parsed = _parse(owner)
    if parsed is None:
        return False
    if parsed.get("host") != socket.gethostname():
        return True
    if parsed.get("boot") and _boot_id() and parsed["boot"] != _boot_id():
        return False  # the machine restarted since
    if Path("/proc/self/stat").exists():
        started = _process_start(parsed["pid"])
        return started is not None and (parsed.get("started") is None or started == parsed["started"])
    if os.name == "nt":
        return True  # os.kill would terminate the process there, not probe it
    try:
        os.kill(parsed["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True
