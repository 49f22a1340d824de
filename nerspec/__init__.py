"""nerspec: custom NER and text classification projects as versioned manifests, reconciled like infrastructure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from nerspec.predict import Predictor


def load(path: Any, deployment: str = "production", state: Any = None) -> "Predictor":
    """A predictor for a project's deployment or a model artifact directory (spaCy is imported here, lazily)."""
    from nerspec.predict import load as _load

    return _load(path, deployment=deployment, state=state)


__all__ = ["__version__", "load"]
