"""Hostile manifests end in a located error, in bounded time and memory (never a hang, never exit 70)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nerspec.errors import ManifestError
from nerspec.manifest.load import load_project

HEAD = "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: loans}\n"


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "nerspec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_project(tmp_path)
    return [str(p).replace(f"{path}:", "") for p in info.value.problems]


def test_alias_bomb_is_refused_fast_with_its_line(tmp_path: Path) -> None:
    started = time.monotonic()
    problems = _problems(tmp_path, HEAD + "spec:\n  entities: [{name: A}]\n" + _bomb().replace("a0:", "x-a0:"))
    assert time.monotonic() - started < 5
    assert problems == ["7:5: element [0] is an alias of a list or mapping; aliases are not allowed in lists"]


def test_alias_bomb_of_mappings_hits_the_expansion_bound(tmp_path: Path) -> None:
    lines = ["b0: &b0 {k: [x, x, x, x, x, x, x, x, x]}"]
    for level in range(1, 10):
        refs = ", ".join(f"k{i}: *b{level - 1}" for i in range(9))
        lines.append(f"b{level}: &b{level} {{{refs}}}")
    started = time.monotonic()
    problems = _problems(tmp_path, HEAD + "spec:\n  entities: [{name: A}]\n" + "\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert len(problems) == 1 and "aliases expand to more than 20000 values (a YAML alias bomb?)" in problems[0]
    line = int(problems[0].split(":")[0])
    assert 6 <= line <= 15  # the anchored block being expanded


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEAD + "spec: &s\n  entities: [{name: A}]\n  x: *s\n")
    assert problems == ["4:7: recursive YAML alias"]


def test_deep_flow_nesting_is_refused_before_parsing(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEAD + "spec: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert problems == ["4:71: nesting deeper than 64 levels"]


def test_deep_block_nesting_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, HEAD + "spec:\n  " + "- " * 900 + "x\n")
    assert len(problems) == 1 and "nesting deeper than 64 levels" in problems[0]
    problems = _problems(tmp_path, HEAD + "spec:\n  " + "- " * 100_000 + "x\n")
    assert len(problems) == 1 and "exceeded maximum nesting depth" in problems[0]


def test_small_aliases_still_work(tmp_path: Path) -> None:
    text = HEAD + (
        "spec:\n  entities: [{name: A}]\n  data: [{name: d, format: jsonl, path: d.jsonl}]\n"
        "  training: &t {max_steps: 10}\n  deployments: [{name: production}]\n"
    )
    (tmp_path / "nerspec.yaml").write_text(text, encoding="utf-8")
    assert load_project(tmp_path).manifest.spec.training.max_steps == 10


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("{name: A}", "{name: \"A\\nB\"}", "spec.entities[0].name: 'A\\nB' is not a valid name"),
        ("{name: A}", "{name: \"A\\u202eB\"}", "spec.entities[0].name: 'A\\u202eB' is not a valid name"),
        ("max_steps: 10", "max_steps: 1e29", "spec.training.max_steps"),
        ("max_steps: 10", "max_steps: 100000000000", "spec.training.max_steps: 100000000000 is greater than the maximum"),
        ("path: d.jsonl", "url: 'file:///etc/passwd', sha256: '" + "a" * 64 + "'",
         "spec.data[0].url: `file:///etc/passwd`: only http:// and https:// URLs are supported"),
    ],
    ids=["newline in name", "bidi override in name", "float steps", "absurd steps", "file url"],
)
def test_hostile_fields(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    text = HEAD + (
        "spec:\n  entities: [{name: A}]\n  data: [{name: d, format: jsonl, path: d.jsonl}]\n"
        "  training: {max_steps: 10}\n"
    )
    assert replace in text
    problems = _problems(tmp_path, text.replace(replace, by))
    assert len(problems) == 1 and expected in problems[0], problems


def test_manifest_that_is_a_fifo_is_an_error_not_a_hang(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "nerspec.yaml")
    with pytest.raises(ManifestError, match="is a FIFO"):
        load_project(tmp_path / "nerspec.yaml")


def test_aliases_of_a_large_scalar_hit_the_expanded_size_bound(tmp_path: Path) -> None:
    big = "x" * 100_000
    deployments = "".join(f"  - {{name: d{i}, description: *d}}\n" for i in range(2000))
    text = HEAD.replace("{name: loans}", f"{{name: loans, description: &d {big}}}") + (
        "spec:\n  entities: [{name: A}]\n  deployments:\n" + deployments
    )
    started = time.monotonic()
    problems = _problems(tmp_path, text)
    assert time.monotonic() - started < 10
    assert len(problems) == 1 and "aliases expand to more than 8 MiB of text" in problems[0]


@pytest.mark.parametrize("value", ["1" + "0" * 5000, "0x" + "f" * 5000, "-" + "9" * 41])
def test_huge_integers_are_located_errors(tmp_path: Path, value: str) -> None:
    problems = _problems(tmp_path, HEAD + f"spec:\n  entities: [{{name: A}}]\n  training: {{max_steps: {value}}}\n")
    assert problems == ["6:25: spec.training.max_steps: an integer of more than 40 digits"]


DATA = "  data: [{name: main, format: jsonl, path: d.jsonl}]\n"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.5", "1e400"])
def test_non_integer_max_steps_are_located_errors(tmp_path: Path, value: str) -> None:
    problems = _problems(tmp_path, HEAD + f"spec:\n  entities: [{{name: A}}]\n  training: {{max_steps: {value}}}\n" + DATA)
    assert len(problems) == 1 and problems[0].startswith("6:25: spec.training.max_steps:")


@pytest.mark.parametrize("name, message", [
    ('"   "', "`name` must not be blank"),
    ('"P\\u200bER"', "`name` contains the invisible character U+200B"),
    ('" PER"', "must not start or end with a space"),
])
def test_blank_and_invisible_entity_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    problems = _problems(tmp_path, HEAD + f"spec:\n  entities: [{{name: PER}}, {{name: {name}}}]\n" + DATA)
    assert len(problems) == 1 and message in problems[0] and problems[0].startswith("5:")


def test_nfc_and_nfd_spellings_are_one_entity(tmp_path: Path) -> None:
    import unicodedata

    nfc, nfd = unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")
    problems = _problems(tmp_path, HEAD + f"spec:\n  entities: [{{name: {nfc}}}, {{name: {nfd}}}]\n" + DATA)
    assert len(problems) == 1 and f"duplicate entity type `{nfc}`" in problems[0]


@pytest.mark.parametrize(("char", "code"), [("\x00", "U+0000"), ("\x07", "U+0007")])
def test_a_control_character_is_located_where_it_is(tmp_path: Path, char: str, code: str) -> None:
    problems = _problems(tmp_path, HEAD.replace("loans", f"lo{char}ans") + "spec:\n  entities: [{name: A}]\n")
    assert problems == [f"3:20: invalid YAML: unacceptable character {code} (control characters are not allowed)"]
