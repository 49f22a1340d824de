"""Fuzzing manifests: hostile scalars, names and aliases anywhere in a valid manifest end in a project or a located
``ManifestError`` (exit 1), never another exception, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerspec.errors import ManifestError
from nerspec.manifest.load import load_project

YAML_SCALARS = st.one_of(
    st.sampled_from([".inf", "-.inf", ".nan", "1e400", "1" + "0" * 5000, "0x" + "f" * 5000, "-" + "9" * 41, "1.5",
                     '"   "', '"P\\u200bER"', '" PER"', '"Cafe\\u0301"', '"\\ud800"', "~", "true", "[]", "{}",
                     "2001-02-30", "!!binary aGk=", "!!python/object:os.system x", "*undefined", "&a x", "<<: {}"]),
    st.integers(-5, 10**6).map(str),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).map(lambda t: '"' + t.replace("\\", "\\\\")
                                                                          .replace('"', '\\"') + '"'),
)
SLOTS = ["NAME", "LANG", "ENTITY", "STEPS", "SEED", "BATCH", "DEPLOYMENT", "DESCRIPTION", "FORMAT"]
TEMPLATE = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: NAME, language: LANG, description: &d DESCRIPTION}
spec:
  entities: [{name: ENTITY}, {name: PER, description: *d}]
  data: [{name: main, format: FORMAT, path: d.jsonl}]
  training: {max_steps: STEPS, seed: SEED, batch_words: BATCH}
  deployments: [{name: DEPLOYMENT, description: *d}]
"""
DEFAULTS = {"NAME": "fuzz", "LANG": "en", "ENTITY": "ORG", "STEPS": "5", "SEED": "1", "BATCH": "100",
            "DEPLOYMENT": "production", "DESCRIPTION": "x", "FORMAT": "jsonl"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.dictionaries(st.sampled_from(SLOTS), YAML_SCALARS, min_size=1, max_size=3))
def test_hostile_manifests_load_or_fail_with_located_errors(tmp_path: Path, choices: dict[str, str]) -> None:
    text = TEMPLATE
    for slot in SLOTS:
        text = text.replace(slot, choices.get(slot, DEFAULTS[slot]))
    (tmp_path / "nerspec.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "d.jsonl").write_text('{"id": "a", "text": "Alice", "spans": []}\n', encoding="utf-8")
    started = time.monotonic()
    try:
        load_project(tmp_path)
    except ManifestError as exc:
        assert exc.problems and all(p.line >= 0 for p in exc.problems)
    assert time.monotonic() - started < 10
