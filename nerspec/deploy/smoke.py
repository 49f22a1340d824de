"""Smoke checks: right after a deployment switches, a few texts go through the path users call.

``http`` targets and ``registry`` targets with a ``url`` are called over HTTP (the native analyze endpoint,
after the server reports the new fingerprint); ``local`` and ``registry`` targets without a url use the same
``nerspec.predict`` path the server runs, on the model's local files. A failing check returns its message; the
caller switches the deployment back and records both steps (Argo CD's SyncFail hook, for models).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.errors import DeployError
from nerspec.predictions import Prediction, from_json

if TYPE_CHECKING:
    from nerspec.deploy.target_base import TargetSpec
    from nerspec.manifest.schema import SmokeCheck

SERVER_WAIT_S = 60.0
ANALYZE_PATH = "/projects/{project}/deployments/{deployment}:analyze"  # nerspec.serve.native: the route users call


def run_checks(checks: list[SmokeCheck], target: TargetSpec | None, project: str, deployment: str, fingerprint: str,
               model_dir: Path | None) -> str | None:
    """None when every check passes, else what failed (naming the text)."""
    if not checks:
        return None
    texts = [check.text for check in checks]
    url = getattr(target, "url", None) if target is not None else None
    if url and target is not None:
        predictions = _over_http(target, url, project, deployment, fingerprint, texts)
    else:
        from nerspec.predict import load

        if model_dir is None:
            raise DeployError(f"smoke checks of {project}/{deployment}: the model's files are not available here")
        predictions = list(load(model_dir).predict(texts))
    for check, predicted in zip(checks, predictions):
        failure = _failure(check, predicted)
        if failure:
            return f"smoke check failed on text {check.text!r}: {failure}"
    return None


def _failure(check: SmokeCheck, predicted: Prediction) -> str | None:
    found = [(p.category, p.text, p.confidence) for p in predicted]
    required: list[tuple[str, str | None]] = [(e.category, e.text) for e in check.entities]
    required += [(name, None) for name in check.classes]
    matched = []
    for category, text in required:
        hits = [f for f in found if f[0] == category and (text is None or f[1] == text)]
        if not hits:
            what = f"{category} {text!r}" if text is not None else category
            return f"expected {what}, got {_show(found)}"
        matched.append(max(hits, key=lambda f: f[2]))
    if check.min_confidence is not None:
        pool = matched if required else found
        if not pool:
            return f"expected a prediction with confidence >= {check.min_confidence}, got none"
        low = [f for f in pool if f[2] < check.min_confidence]
        if low:
            return f"confidence {low[0][2]:.3f} of {low[0][0]} is below {check.min_confidence}"
    return None


def _show(found: list[tuple[str, str | None, float]]) -> str:
    if not found:
        return "nothing"
    return ", ".join(f"{c} {t!r} ({s:.2f})" if t is not None else f"{c} ({s:.2f})" for c, t, s in found[:10])


def _over_http(target: TargetSpec, url: str, project: str, deployment: str, fingerprint: str,
               texts: list[str]) -> list[Prediction]:
    import httpx

    headers = {}
    key_env = getattr(target, "api_key_env", None)
    if key_env and os.environ.get(key_env):
        headers["Ocp-Apim-Subscription-Key"] = os.environ[key_env]
    endpoint = url.rstrip("/") + ANALYZE_PATH.format(project=project, deployment=deployment)
    body = {"documents": [{"id": str(i), "text": text} for i, text in enumerate(texts)]}
    deadline = time.monotonic() + SERVER_WAIT_S
    with httpx.Client(timeout=30) as client:
        while True:  # a registry server swaps on its next poll: wait until it answers with the new model
            try:
                response = client.post(endpoint, json=body, headers=headers)
                answer = response.json() if response.status_code == 200 else {}
            except (httpx.HTTPError, ValueError):
                answer = {}
            if answer.get("modelFingerprint") == fingerprint:
                break
            if time.monotonic() >= deadline:
                raise DeployError(f"smoke checks of {project}/{deployment}: {url} did not serve {fingerprint[:12]} "
                                  f"within {SERVER_WAIT_S:.0f}s")
            time.sleep(0.5)
    documents = sorted(answer.get("documents", []), key=lambda d: int(d["id"]))
    return [from_json(document["entities"] if "entities" in document else document.get("classes", []))
            for document in documents]
