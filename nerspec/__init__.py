"""nerspec: custom NER and text classification projects as versioned manifests, reconciled like infrastructure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.version import __version__

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

    from nerspec import extract
    from nerspec.predict import Predictor, StateArg


def load(path: str | Path, deployment: str = "production", state: StateArg = None, *,
         beam_width: int | None = None) -> Predictor:
    """A predictor for a project's deployment or a model artifact directory (spaCy is imported here, lazily).

    ``beam_width``: the NER beam for confidence scores, never for entities (1: the greedy parser's action scores, the default for new models); None keeps
    ``nerspec.predict.load``'s default, so the default lives in one place.
    """
    from nerspec.predict import load as _load

    if beam_width is None:
        return _load(path, deployment=deployment, state=state)
    return _load(path, deployment=deployment, state=state, beam_width=beam_width)


def __getattr__(name: str) -> ModuleType:
    # ``nerspec.extract(...)``: the extraction package is callable; imported on first use (it is not light).
    if name == "extract":
        import importlib

        return importlib.import_module("nerspec.extract")
    raise AttributeError(f"module 'nerspec' has no attribute {name!r}")


__all__ = ["__version__", "load", "extract"]
