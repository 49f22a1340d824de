"""``training.base``: start from the ``tok2vec`` of an installed spaCy pipeline package.

The package's ``tok2vec`` component is *sourced* into the generated config (spaCy copies its architecture and
weights, and training goes on updating it); the project's components read it through a listener of its width.
A package with static vectors brings them along (``[initialize] vectors``). nerspec never downloads a package:
one that is not installed is an error at the manifest line of ``training.base``, naming it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerspec.errors import ManifestError
from nerspec.fingerprints.model import installed_version

if TYPE_CHECKING:
    from thinc.api import Config

    from nerspec.manifest.load import LoadedProject

TOK2VEC = "tok2vec"


@dataclass(frozen=True)
class BasePipeline:
    package: str
    width: int
    has_vectors: bool


def _error(project: LoadedProject, message: str) -> ManifestError:
    return ManifestError([project.locate(("spec", "training", "base"), message)])


def inspect_base(project: LoadedProject, lang: str) -> BasePipeline:
    """Load the package named by ``training.base`` and check it can give the project a tok2vec."""
    package = project.manifest.spec.training.base
    assert package is not None
    if importlib.util.find_spec(package) is None or installed_version(package) is None:
        raise _error(
            project,
            f"spaCy pipeline package `{package}` is not installed in this environment; install it "
            f"(e.g. `pip install {package}` from your package index or a wheel) — nerspec never downloads models",
        )
    import spacy

    try:
        nlp = spacy.load(package)
    except Exception as exc:  # a broken or incompatible package: say which and why
        raise _error(project, f"cannot load spaCy pipeline package `{package}`: {exc}") from None
    if TOK2VEC not in nlp.pipe_names:
        raise _error(
            project,
            f"spaCy pipeline package `{package}` has no `{TOK2VEC}` component (it has {', '.join(nlp.pipe_names) or 'none'})",
        )
    if nlp.lang != lang:
        raise _error(project, f"spaCy pipeline package `{package}` is for language `{nlp.lang}`, the project is `{lang}`")
    # spaCy types get_pipe() as a bare Doc -> Doc callable; a tok2vec component is a TrainablePipe with a model.
    width = int(nlp.get_pipe(TOK2VEC).model.get_dim("nO"))  # type: ignore[attr-defined]
    return BasePipeline(package=package, width=width, has_vectors=bool(nlp.vocab.vectors.shape[0]))


def apply_base(config: Config, project: LoadedProject, longest_span: int = 0) -> None:
    """Point the config's ``tok2vec`` at the base package (in place); the trained components listen to it.
    ``longest_span``: the training data's longest entity in tokens (``ProjectKind.components``)."""
    base = inspect_base(project, config["nlp"]["lang"])
    from nerspec.kinds import project_kind

    spec = project.manifest.spec
    labels = [label.name for label in spec.labels]
    trained, listening = project_kind(project).listening(
        labels, bool(getattr(spec, "multilabel", False)), base.width, longest_span
    )
    config["nlp"]["pipeline"] = [TOK2VEC, *trained]
    config["components"] = {TOK2VEC: {"source": base.package, "component": TOK2VEC}, **listening}
    if base.has_vectors:
        config["paths"]["vectors"] = base.package
        config["initialize"]["vectors"] = base.package
