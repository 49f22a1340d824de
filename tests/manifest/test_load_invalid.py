"""Invalid manifests: each error with its exact message and line:col, all errors of a file at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.manifest.load import load_project, load_projects

BASE = """apiVersion: nerspec/v1
kind: NERProject
metadata: {name: loans, language: en}
spec:
  entities:
    - {name: BorrowerName}
    - {name: LoanAmount, renamed_from: Amount}
  data:
    - {name: labeled, format: azure, path: data/labels.json}
  split: {policy: random, test_fraction: 0.2, seed: 13}
  deployments: [{name: production}]
"""

SHA = "a" * 64

# (case, text replaced in BASE, replacement, expected "line:col: where: message")
CASES = [
    ("unknown key", "test_fraction: 0.2", "test_fracton: 0.2",
     "10:27: spec.split.test_fracton: unknown key `test_fracton` (did you mean `test_fraction`?)"),
    ("api version", "apiVersion: nerspec/v1", "apiVersion: nerspec/v2",
     "1:13: apiVersion: unsupported apiVersion `nerspec/v2`; supported: nerspec/v1"),
    ("kind", "kind: NERProject", "kind: NERProjekt",
     "2:7: kind: unknown kind `NERProjekt` (did you mean `NERProject`?); one of: NERProject, TextClassificationProject"),
    ("duplicate entity", "{name: LoanAmount, renamed_from: Amount}", "{name: BorrowerName}",
     "7:14: spec.entities[1].name: duplicate entity type `BorrowerName` (also entities[0])"),
    ("entity name chars", "{name: BorrowerName}", "{name: 'Borrower/Name'}",
     "6:14: spec.entities[0].name: 'Borrower/Name' is not a valid name: At most 50 characters, none of `: $ & % * ( ) + ~ # / ?`, no control or bidi-override characters."),
    ("entity name length", "{name: BorrowerName}", "{name: " + "x" * 51 + "}",
     f"6:14: spec.entities[0].name: '{'x' * 51}' is not a valid name: At most 50 characters, none of `: $ & % * ( ) + ~ # / ?`, no control or bidi-override characters."),
    ("rename collides", "renamed_from: Amount", "renamed_from: BorrowerName",
     "7:40: spec.entities[1].renamed_from: `BorrowerName` is still declared as an entity type; "
     "a renamed entity type must not collide with a current one"),
    ("merge claims a name twice", "    - {name: LoanAmount, renamed_from: Amount}",
     "    - {name: LoanAmount, renamed_from: Amount}\n    - {name: Party, renamed_from: [Guarantor, Amount]}",
     "8:47: spec.entities[2].renamed_from[1]: `Amount` is already claimed by entities[1] (LoanAmount); "
     "a previous name can be mapped to one new name only"),
    ("language gate outside the project", "  deployments: [{name: production}]",
     "  deployments: [{name: production}]\n  gates: {per_language: {de: {micro_f1: {min: 0.5}}}}",
     "12:30: spec.gates.per_language.de: `de` is not this project's language `en`; "
     "set `metadata.multilingual: true` for a project of several languages"),
    ("path escapes", "path: data/labels.json", "path: ../labels.json",
     "9:44: spec.data[0].path: `../labels.json` leaves the project directory (`..` is not allowed)"),
    ("absolute path", "path: data/labels.json", "path: /etc/passwd",
     "9:44: spec.data[0].path: `/etc/passwd` is absolute; data paths are relative to the project directory"),
    ("url without sha256", "path: data/labels.json", "url: 'https://example.com/x.json'",
     "9:43: spec.data[0].url: a URL source must be pinned with `sha256`"),
    ("path and url", "path: data/labels.json", f"path: data/labels.json, url: 'https://e.com/x', sha256: '{SHA}'",
     "9:7: spec.data[0]: give exactly one of `path` or `url`"),
    ("split policy", "policy: random", "policy: randm",
     "10:19: spec.split.policy: 'randm' is not one of 'random', 'manual', 'stratified' (did you mean `random`?)"),
    ("test fraction", "test_fraction: 0.2", "test_fraction: 1.5",
     "10:42: spec.split.test_fraction: 1.5 is greater than or equal to the maximum of 1.0"),
    ("duplicate key", "  deployments: [{name: production}]", "  deployments: [{name: production}]\n  deployments: []",
     "12:3: duplicate key `deployments` (first defined at line 11)"),
    ("python tag", "seed: 13", "seed: !!python/object/apply:os.system ['true']",
     "10:53: unsupported YAML tag `tag:yaml.org,2002:python/object/apply:os.system`"),
    ("python scalar tag", "seed: 13", "seed: !!python/name:os.system ''",
     "10:53: spec.split.seed: unsupported YAML tag: could not determine a constructor for the tag 'tag:yaml.org,2002:python/name:os.system'"),
    ("gate names unknown entity", "  deployments: [{name: production}]",
     "  deployments: [{name: production}]\n  gates: {per_entity: {Nope: {f1: {min: 0.5}}}}",
     "12:30: spec.gates.per_entity.Nope: unknown entity type `Nope`; declared: `BorrowerName`, `LoanAmount` (or `*` for all)"),
    ("regression against unknown deployment", "  deployments: [{name: production}]",
     "  deployments: [{name: production}]\n  gates: {regression: {against: staging}}",
     "12:33: spec.gates.regression.against: unknown deployment `staging`; declared: `production`"),
    ("project name", "name: loans", "name: 'my loans'",
     "3:18: metadata.name: 'my loans' is not a valid name: Letters, digits, `_ . -`; at most 50."),
    ("missing entities", "  entities:\n    - {name: BorrowerName}\n    - {name: LoanAmount, renamed_from: Amount}\n", "",
     "5:3: spec: missing required key `entities`"),
    ("duplicate deployment", "[{name: production}]", "[{name: production}, {name: production}]",
     "11:44: spec.deployments[1].name: duplicate deployment `production` (also deployments[0])"),
    ("canary without weight", "[{name: production}]", "[{name: production, rollout: {strategy: canary}}]",
     "11:45: spec.deployments[0].rollout.weight: a canary needs `weight`: the share of documents the candidate "
     "answers"),
    ("shadow with weight", "[{name: production}]", "[{name: production, rollout: {strategy: shadow, weight: 0.1}}]",
     "11:72: spec.deployments[0].rollout.weight: `weight` is for canaries; a shadow sees every document "
     "(remove `weight`)"),
    ("rollout on an http target", "[{name: production}]",
     "[{name: production, target: {type: http, url: 'https://x'}, rollout: {strategy: shadow}}]",
     "11:85: spec.deployments[0].rollout: a rollout needs a target `nerspec serve` serves (local, registry); "
     "`http` is served elsewhere"),
    ("rollout weight range", "[{name: production}]", "[{name: production, rollout: {strategy: canary, weight: 1.5}}]",
     "11:72: spec.deployments[0].rollout.weight: 1.5 is greater than or equal to the maximum of 1.0"),
    ("unknown target type", "[{name: production}]", "[{name: production, target: {type: htp}}]",
     "11:51: spec.deployments[0].target.type: unknown type `htp` (did you mean `http`?); one of: `http`, `local`, "
     "`registry`"),
    ("target without type", "[{name: production}]", "[{name: production, target: {url: 'https://x'}}]",
     "11:44: spec.deployments[0].target: missing required key `type`; one of: `http`, `local`, `registry`"),
    ("http target with a bad url", "[{name: production}]", "[{name: production, target: {type: http, url: 'ftp://x'}}]",
     "11:62: spec.deployments[0].target.url: `ftp://x`: only http:// and https:// URLs are supported"),
    ("promotion cycle", "[{name: production}]", "[{name: production, promote_from: staging}, "
     "{name: staging, promote_from: production}]",
     "11:50: spec.deployments[0].promote_from: promote_from forms a cycle (`production` <- `staging` <- `production`): "
     "each waits for the other to serve a model first, so none of them ever gets one; start the chain at a "
     "deployment without `promote_from`"),
    ("too many entities", "    - {name: BorrowerName}\n    - {name: LoanAmount, renamed_from: Amount}\n",
     "".join(f"    - {{name: E{i}}}\n" for i in range(201)), "6:5: spec.entities: 201 items; at most 200 allowed"),
    ("wrong value inside an optional block", "[{name: production}]",
     "[{name: production, monitoring: {alert: {drift: 5}}}]",
     "11:64: spec.deployments[0].monitoring.alert.drift: 5 is not of type 'boolean'"),
    ("project language", "language: en", "language: '12'",
     "3:35: metadata.language: `12` is not a language code (e.g. `en`, `de`, `en-us`)"),
    ("invalid yaml", "  split: {policy", "  split: [policy",
     "10:55: invalid YAML: did not find expected ',' or ']'"),
    ("unknown format", "format: azure", "format: csv",
     "9:31: spec.data[0].format: 'csv' is not one of 'azure', 'jsonl', 'conll', 'spacy', 'folders', 'labelstudio', 'doccano', 'prodigy'"),
]


@pytest.mark.parametrize(("replace", "by", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_manifest(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    assert replace in BASE
    path = tmp_path / "nerspec.yaml"
    path.write_text(BASE.replace(replace, by, 1), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [str(p) for p in info.value.problems] == [f"{path}:{expected}"]


def test_valid_base_manifest(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(BASE, encoding="utf-8")
    project = load_project(tmp_path)
    assert project.name == "loans" and [label.name for label in project.manifest.spec.labels] == ["BorrowerName", "LoanAmount"]
    assert project.locate(("spec", "data", 0, "path"), "x").line == 9


def test_all_errors_of_a_file_at_once_sorted_by_line(tmp_path: Path) -> None:
    text = (BASE.replace("{name: BorrowerName}", "{name: LoanAmount}")
            .replace("path: data/labels.json", "path: ../x.json")
            .replace("[{name: production}]", "[{name: a, promote_from: b}]"))
    (tmp_path / "nerspec.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [(p.line, p.where) for p in info.value.problems] == [
        (7, "spec.entities[1].name"), (9, "spec.data[0].path"), (11, "spec.deployments[0].promote_from")]


def test_classification_manifest_errors(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: TextClassificationProject\nmetadata: {name: t}\nspec:\n"
        "  classes: [{name: A}, {name: A}]\n  entities: [{name: B}]\n"
        "  data: [{name: d, format: folders, path: data}]\n  gates: {per_class: {C: {f1: {min: 0.5}}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [str(p).split(": ", 1)[1] for p in info.value.problems] == [
        "spec.entities: unknown key `entities`"]


def test_repository_root_discovers_projects_and_reports_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("one", "two"):
        (tmp_path / "projects" / name).mkdir(parents=True)
        (tmp_path / "projects" / name / "nerspec.yaml").write_text(BASE, encoding="utf-8")
    with pytest.raises(ManifestError, match="project `loans` is also defined in"):
        load_projects([tmp_path])
    (tmp_path / "projects" / "two" / "nerspec.yaml").write_text(BASE.replace("name: loans", "name: other"), encoding="utf-8")
    assert [p.name for p in load_projects([tmp_path])] == ["loans", "other"]
    # the projects directory itself, and (without paths) from inside a project, its data, or projects/
    assert [p.name for p in load_projects([tmp_path / "projects"])] == ["loans", "other"]
    (tmp_path / ".git").mkdir()
    (tmp_path / "projects" / "one" / "data").mkdir()
    for cwd, expected in (("projects", ["loans", "other"]), ("projects/two", ["other"]), ("projects/one/data", ["loans"]),
                          (".", ["loans", "other"])):
        monkeypatch.chdir(tmp_path / cwd)
        assert [p.name for p in load_projects([])] == expected, cwd
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    with pytest.raises(ManifestError, match=r"no nerspec.yaml here, in \*/ \(a projects directory\) nor in projects/\*/"):
        load_projects([])


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("kind: NERProject", "kınd: NERProject",
         ["1:1: missing `kind`; one of: NERProject, TextClassificationProject",
          "2:1: kınd: unknown key `kınd` (did you mean `kind`?)"]),
        ("apiVersion: nerspec/v1\n", "", ["1:1: missing `apiVersion`; supported: nerspec/v1"]),
    ],
    ids=["misspelt kind", "no apiVersion"],
)
def test_header_problems_are_named_once_each(tmp_path: Path, replace: str, by: str, expected: list[str]) -> None:
    path = tmp_path / "nerspec.yaml"
    path.write_text(BASE.replace(replace, by, 1), encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    assert [str(p).removeprefix(f"{path}:") for p in info.value.problems] == expected


def test_a_path_that_is_a_fifo_or_device_is_named_for_what_it_is(tmp_path: Path) -> None:
    import os

    from nerspec.manifest.load import discover

    os.mkfifo(tmp_path / "pipe")
    for path, message in ((tmp_path / "pipe", "is a FIFO (named pipe), not a manifest or a project directory"),
                          (Path("/dev/null"), "is a device, not a manifest or a project directory"),
                          (tmp_path / "nope", "no such file or directory")):
        with pytest.raises(ManifestError) as caught:  # was "no such file or directory" for each
            discover([path])
        assert [p.message for p in caught.value.problems] == [message]
