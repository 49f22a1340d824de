"""``nerspec serve``: the prediction server (FastAPI and uvicorn are imported inside the command only)."""

from __future__ import annotations

import click

from nerspec.commands.common import state_option
from nerspec.paths import StateChoice


def _finite(seconds: float | None) -> float | None:
    """``nan`` passes FloatRange (it compares false with both bounds): the watchers polled without pause."""
    if seconds is not None and seconds != seconds:
        raise click.BadParameter("nan is not a number of seconds", param_hint="'--poll'")
    return seconds


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on. Use 0.0.0.0 only behind a proxy that terminates TLS.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@state_option
@click.option("--api-key-env", "api_key_env", metavar="NAME", default=None,
              help="Require header Ocp-Apim-Subscription-Key to equal this env var's value (as the reference "
                   "service). Without it, keys are ignored (local use).")
@click.option("--admin-token-env", "admin_token_env", metavar="NAME", default="NERSPEC_ADMIN_TOKEN",
              show_default=True,
              help="Env var holding the bearer token for model uploads (PUT /admin/...). Unset: uploads refused.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Inference threads shared by all deployments.")
@click.option("--confidence-beam", "beam_width", type=click.IntRange(1, 64), default=None,
              help="Beam width for entity confidence scores (default: the scores the model's calibration was fitted "
                   "on: the greedy parser's action probabilities for new models; another width serves raw, "
                   "uncalibrated scores and logs a warning). Entities are the same at any width.")
@click.option("--poll", "poll_interval", type=click.FloatRange(min=0.05, max=3600.0), default=None,
              callback=lambda _ctx, _param, value: _finite(value),
              help="Seconds between checks for changed deployments (default: 0.5; 2 with a shared state).")
def serve(host: str, port: int, state: StateChoice, api_key_env: str | None, admin_token_env: str,
          workers: int, beam_width: int | None, poll_interval: float | None) -> None:
    """Serve every deployment of the local registry over HTTP, swapping models as pointers change.

    With a shared state (--state postgresql://... --artifacts s3://..., or nerspec.settings.yaml) it serves every
    deployment that state records (all but http targets), pulling each model from the artifact store, verified,
    and swapping as soon as an apply changes one (PostgreSQL LISTEN/NOTIFY; --poll is the fallback) plus the
    download time.

    \b
    Endpoints:
      POST /projects/{project}/deployments/{deployment}:analyze   native API
      POST /language/analyze-text/jobs?api-version=2023-04-01     reference jobs API (official client)
      PUT  /admin/projects/{project}/deployments/{deployment}     model upload (http deploy target)
      GET  /projects  /healthz  /readyz  /metrics  /docs  /openapi.json

    \b
    Example:
      NERSPEC_ADMIN_TOKEN=s3cret nerspec serve --port 8080 --state .nerspec
      curl -s -X POST 'http://127.0.0.1:8080/projects/loan-agreements/deployments/production:analyze' \\
           -H 'content-type: application/json' \\
           -d '{"documents": [{"id": "1", "text": "Acme Bank lends $2M to Jane Doe.", "language": "en"}]}'
    """
    from nerspec.paths import state_paths
    from nerspec.serve.server import run

    run(host, port, state_paths(state), api_key_env=api_key_env, admin_token_env=admin_token_env, workers=workers,
        beam_width=beam_width, poll_interval=poll_interval)


COMMANDS: list[click.Command] = [serve]
