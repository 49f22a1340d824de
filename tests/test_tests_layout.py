"""The test folders are packages, so test files of the same name in two folders are two modules, not a clash."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_test_folder_with_python_modules_is_a_package() -> None:
    folders = {path.parent for path in TESTS.rglob("*.py") if "__pycache__" not in path.parts}
    assert TESTS / "corpus" in folders
    assert sorted(str(f.relative_to(TESTS)) for f in folders if not (f / "__init__.py").is_file()) == []


def test_same_named_test_files_live_in_different_packages() -> None:
    # Without the packages, pytest's default import mode imports both as the same top-level module and fails.
    by_name: dict[str, list[Path]] = {}
    for path in TESTS.rglob("test_*.py"):
        by_name.setdefault(path.name, []).append(path)
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert "test_ner.py" in shared
    for paths in shared.values():
        assert all((path.parent / "__init__.py").is_file() for path in paths)
