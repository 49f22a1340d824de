"""`training.base`: the tok2vec starts from an installed spaCy pipeline package; never downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.fingerprints.model import training_inputs
from nerspec.train import train
from tests.train.conftest import load_all

PACKAGE = "en_nerspec_tiny"
WIDTH = 32  # not any nerspec default width: a trained model of this width started from the package


def build_pipeline_package(site: Path) -> Path:
    """A pip-style installed pipeline package (module + dist-info) with one small tok2vec, in ``site``."""
    import spacy
    from spacy.training import Example

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec", config={"model": {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {"@architectures": "spacy.MultiHashEmbed.v2", "width": WIDTH, "attrs": ["NORM", "SHAPE"],
                  "rows": [500, 100], "include_static_vectors": False},
        "encode": {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": WIDTH, "depth": 1,
                   "window_size": 1, "maxout_pieces": 2},
    }})
    nlp.initialize(lambda: [Example(nlp.make_doc("Alice flew to Paris"), nlp.make_doc("Alice flew to Paris"))])
    nlp.meta.update({"name": "nerspec_tiny", "version": "0.0.1"})
    package = site / PACKAGE
    package.mkdir()
    nlp.to_disk(package / f"{PACKAGE}-0.0.1")
    (package / "meta.json").write_text(json.dumps(nlp.meta))
    (package / "__init__.py").write_text(
        "from spacy.util import load_model_from_init_py\n\n\n"
        "def load(**overrides):\n    return load_model_from_init_py(__file__, **overrides)\n"
    )
    dist = site / f"{PACKAGE}-0.0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 0.0.1\n")
    return package


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site-packages"
    site.mkdir()
    build_pipeline_package(site)
    monkeypatch.syspath_prepend(str(site))
    return site


def _weights(model) -> list:  # type: ignore[no-untyped-def]
    return [node.get_param(name).copy() for node in model.walk() for name in node.param_names if node.has_param(name)]


@pytest.mark.parametrize("kind", ["NERProject", "TextClassificationProject"])
def test_training_starts_from_the_package_tok2vec(make_project, state, installed, kind) -> None:
    import spacy

    project, corpus, split = load_all(make_project(kind, training={"base": PACKAGE, "max_steps": 20}))
    artifact = train(project, corpus, split, paths=state)
    nlp = spacy.load(artifact.path / "model")
    assert nlp.pipe_names[0] == "tok2vec" and nlp.get_pipe("tok2vec").model.get_dim("nO") == WIDTH
    trained, base = _weights(nlp.get_pipe("tok2vec").model), _weights(spacy.load(PACKAGE).get_pipe("tok2vec").model)
    assert [w.shape for w in trained] == [w.shape for w in base]


def test_initial_weights_are_the_package_weights(make_project, installed) -> None:
    import numpy
    import spacy
    from spacy.util import load_model_from_config

    from nerspec.train import config as cfg

    project, _, _ = load_all(make_project("NERProject", training={"base": PACKAGE}))
    nlp = load_model_from_config(cfg.default_config(project), auto_fill=True)
    start, base = _weights(nlp.get_pipe("tok2vec").model), _weights(spacy.load(PACKAGE).get_pipe("tok2vec").model)
    assert len(start) == len(base) > 0 and all(numpy.array_equal(a, b) for a, b in zip(start, base))


def test_missing_package_is_an_error_at_the_manifest_line(make_project, state) -> None:
    project, corpus, split = load_all(make_project("NERProject", training={"base": "en_not_installed_here"}))
    with pytest.raises(ManifestError) as info:
        train(project, corpus, split, paths=state)
    [problem] = info.value.problems
    assert problem.file.endswith("nerspec.yaml") and problem.line > 0 and problem.where == "spec.training.base"
    assert "`en_not_installed_here` is not installed" in problem.message and "never downloads" in problem.message
    assert not list(state.models.glob("*")) if state.models.exists() else True


def test_the_package_version_is_a_training_input(make_project, installed) -> None:
    project, _, _ = load_all(make_project("NERProject", training={"base": PACKAGE}))
    assert training_inputs(project)["base_version"] == "0.0.1"
