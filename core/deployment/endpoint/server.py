"""Running the endpoint in the foreground (``mlops-studio serve``): uvicorn on a socket bound here
(so a port in use is a one-line error, not a server log), and, when started for an owner process
(``--owner-pid``), a watch that stops the endpoint as soon as that process is gone.

Before the first request the live models and their schema are loaded (`warm_up`), and what the
process made until then is set aside from the garbage collector (``gc.freeze``): a full collection
no longer walks scikit-learn, pandas and the models on some unlucky request. The interpreter's
thread switch interval is cut to `SWITCH_INTERVAL_S`, so a request waits at most that long for the
log writer's thread to give up the interpreter (5 ms by default: a p99 of its own).
"""

from __future__ import annotations

import gc
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from core.workspace import owner
from core.workspace.database import Workspace, flush_pending_writes
from core.workspace.errors import ConfigError
from core.workspace.projects import resolve_project

OWNER_POLL_S = 0.5
SWITCH_INTERVAL_S = 0.001
_GRACE_S = 5.0  # after the owner is gone: a graceful stop, then a hard exit


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); ConfigError when it cannot be had."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"The port must be between 1 and 65535 (0 picks a free one); got {port} instead.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(f"The host '{host}' cannot be resolved ({exc.strerror}); use 127.0.0.1 or 0.0.0.0.") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: uvicorn writes an answer's head and body apart, and without
    # it Nagle's algorithm meets the client's delayed ACK and every answer waits ~40 ms (measured).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == 98 or "in use" in str(exc):
            raise ConfigError(
                f"Port {port} on {host} is in use; choose another --port, or --port 0 to pick a free one."
            ) from None
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --host or --port."
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    workspace: str | Path | None, project: str, host: str = "127.0.0.1", port: int = 8000, owner_pid: int | None = None
) -> int:
    """Serve a project's endpoint until Ctrl-C (or until the owner process is gone); prints its URL."""
    import uvicorn

    from core.deployment import serving
    from core.deployment.endpoint.app import create_app

    ws = Workspace(workspace)
    found = resolve_project(ws, project)
    if owner_pid is not None and not owner.is_alive(owner.process_owner(owner_pid)):
        raise ConfigError(f"The owner process {owner_pid} is not running; the endpoint would stop at once.")
    sock = bind_socket(host, port)
    app = create_app(ws.root, found["id"])
    warm_up(app)
    url = f"http://{host if ':' not in host else f'[{host}]'}:{sock.getsockname()[1]}"
    print(f"Serving project {found['name']} (id {found['id']}) at {url}; API docs at {url}/docs. Ctrl-C stops it.")
    print(serving.describe_live(ws, found["id"]), flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="off")
    server = uvicorn.Server(config)
    if owner_pid is not None:
        threading.Thread(target=_watch_owner, args=(owner.process_owner(owner_pid), server), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it stopped on: the normal way to stop
        pass
    flush_pending_writes()  # the answers still queued for the log
    print("The endpoint stopped.", flush=True)
    return 0


def warm_up(app: Any) -> None:
    """Load what answers (the live models and their schema) before the first request, then freeze
    the collector's view of everything made so far and shorten the thread switch interval."""
    from core.deployment.endpoint.app import NotServing, health_of

    try:
        health_of(app.state.live)
    except NotServing:  # nothing deployed yet: the first request loads it
        pass
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def _watch_owner(owner_text: str, server: Any) -> None:
    """Stop the server when the process that started it is gone (checked every OWNER_POLL_S)."""
    while not server.should_exit:
        time.sleep(OWNER_POLL_S)
        if not owner.is_alive(owner_text):
            print("The owner process is gone; the endpoint stops.", file=sys.stderr, flush=True)
            server.should_exit = True
            time.sleep(_GRACE_S)
            flush_pending_writes()  # os._exit skips atexit
            os._exit(0)
