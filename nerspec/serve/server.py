"""Run the app with uvicorn (one process; inference parallelism comes from the worker pool)."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from nerspec.errors import NerspecError

if TYPE_CHECKING:
    from nerspec.paths import StatePaths


def run(
    host: str,
    port: int,
    paths: StatePaths,
    *,
    api_key_env: str | None = None,
    admin_token_env: str = "NERSPEC_ADMIN_TOKEN",
    workers: int = 2,
    poll_interval: float | None = None,
    beam_width: int | None = None,
    log_level: str = "info",
) -> None:
    """Serve until interrupted. One uvicorn process: models are loaded once and shared by the worker threads,
    which several processes could not do without loading every model once per process. ``paths``: the state,
    resolved by the command."""
    import uvicorn

    from nerspec.serve.app import create_app

    if paths.shared:
        paths.root.mkdir(parents=True, exist_ok=True)  # the local cache of models fetched from the store
    if poll_interval is None:  # a shared state is a database query per poll, local pointers a few small reads
        poll_interval = 2.0 if paths.shared else 0.5
    if not paths.root.is_dir():
        raise NerspecError(f"state directory {paths.root} does not exist (use --state or NERSPEC_STATE)")
    from nerspec.state import refuse_special_db

    refuse_special_db(paths)  # else it serves nothing, 'ready', as if the state were empty
    app = create_app(paths, api_key_env=api_key_env, admin_token_env=admin_token_env, workers=workers,
                     poll_interval=poll_interval, beam_width=beam_width)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                            server_header=False, proxy_headers=False)
    listening = _listen(host, port)
    try:
        uvicorn.Server(config).run(sockets=[listening])
    except SystemExit as exc:  # uvicorn exits 3 when start-up fails; here 3 means a failed quality gate
        if exc.code in (0, None):
            raise
        raise NerspecError(f"the server on {host}:{port} failed to start (see the log above)") from None
    finally:
        listening.close()


def _listen(host: str, port: int) -> socket.socket:
    """Bind the port before anything else, so a busy port is one clear error naming it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise NerspecError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server using the "
                           f"port? pick another with --port)") from None
    sock.set_inheritable(True)
    return sock
