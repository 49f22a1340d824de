"""Rolling back across an entity rename warns that the model answers with the old names."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.deploy.labels import label_differences
from tests.tiny import manifest


def test_label_differences_name_renames_additions_and_removals(tiny: Any) -> None:
    tiny.write_manifest(manifest(entities=[{"name": "Person", "renamed_from": "PER"}, {"name": "ORG"}]))
    (project,) = tiny.load()
    notes = label_differences(project, ["PER", "LOC"])
    assert notes == ["it returns PER where the manifest now says Person (renamed since)",
                     "it never returns ORG (added since)", "it still returns LOC (removed since)"]
    assert label_differences(project, ["Person", "ORG"]) == []


def test_rollback_across_a_rename_warns(tiny: Any, state: Any, run_apply: Any) -> None:
    from tests.tiny import make_docs

    run_apply()
    tiny.write_manifest(manifest(entities=[{"name": "Person", "renamed_from": "PER"}, {"name": "LOC"}]))
    tiny.write_docs(make_docs(24, person_label="Person"))
    run_apply()
    result = CliRunner().invoke(cli, ["rollback", "projects/tiny", "production", "--json"],
                                env={"NERSPEC_STATE": str(state.root)})
    assert result.exit_code == 0, result.output
    assert "warning: tiny/production now serves" in result.stderr
    assert "it returns PER where the manifest now says Person (renamed since)" in result.stderr
    assert json.loads(result.stdout)["warnings"] and "PER" in json.loads(result.stdout)["warnings"][0]


def test_rollback_without_a_rename_is_quiet(tiny: Any, state: Any, run_apply: Any) -> None:
    from tests.tiny import make_docs

    run_apply()
    tiny.write_docs(make_docs(30))
    run_apply()
    result = CliRunner().invoke(cli, ["rollback", "projects/tiny", "production"], env={"NERSPEC_STATE": str(state.root)})
    assert result.exit_code == 0 and "warning" not in result.output
