"""The deployment target names: spelled once in the manifest layer, and the deploy table keyed by them."""

from __future__ import annotations

from typing import get_args

from nerspec.deploy.targets import TARGETS
from nerspec.manifest import schema
from nerspec.manifest.target_names import MANIFEST_TARGETS, SERVED_HERE, UPLOAD_TARGET


def test_the_deploy_table_has_one_target_per_name() -> None:
    assert sorted(TARGETS) == sorted([*MANIFEST_TARGETS, UPLOAD_TARGET])


def test_served_here_is_the_manifest_layers_answer() -> None:
    assert {name for name, target in TARGETS.items() if target.served_here} == SERVED_HERE


def test_the_manifest_names_are_the_schemas_target_types() -> None:
    literals = [get_args(model.model_fields["type"].annotation)[0]
                for model in (schema.LocalTarget, schema.HttpTarget, schema.RegistryTarget)]
    assert literals == list(MANIFEST_TARGETS)
