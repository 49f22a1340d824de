"""Data fingerprints: the stat cache never changes a fingerprint, only its cost."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from nerspec.fingerprints.data import data_fingerprint
from nerspec.fingerprints.documents import document_hashes
from nerspec.fingerprints.model import model_fingerprint
from tests import fakes
from tests.tiny import make_docs, manifest


def age(path: Path) -> None:
    """Make files older than the racy window so the cache trusts them."""
    old = time.time() - 60
    for file in [path, *path.rglob("*")]:
        os.utime(file, (old, old))


def azure_project(tiny: Any, n: int = 5) -> None:
    data = tiny.dir / "data" / "az"
    data.mkdir()
    docs = []
    for i in range(n):
        (data / f"d{i}.txt").write_text(f"Alice {i}")
        docs.append({"location": f"d{i}.txt", "dataset": "Train", "entities": []})
    (data / "labels.json").write_text(json.dumps({"assets": {"projectKind": "CustomEntityRecognition", "documents": docs}}))
    tiny.write_manifest(manifest(data=[{"name": "az", "format": "azure", "path": "data/az/labels.json"}]))


def test_cold_warm_and_uncached_agree(tiny: Any, tmp_path: Path) -> None:
    azure_project(tiny)
    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "cache"
    cold, warm, none = data_fingerprint(project, cache), data_fingerprint(project, cache), data_fingerprint(project, None)
    assert cold.sha256 == warm.sha256 == none.sha256 and cold.files == warm.files
    assert set(cold.files) == {"data/az/labels.json", *(f"data/az/d{i}.txt" for i in range(5))}


def test_changes_are_seen_through_a_warm_cache(tiny: Any, tmp_path: Path) -> None:
    azure_project(tiny)
    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "cache"
    before = data_fingerprint(project, cache)
    doc = tiny.dir / "data" / "az" / "d3.txt"
    doc.write_text("Alice 3!")  # new size and mtime
    changed = data_fingerprint(project, cache)
    assert changed.sha256 != before.sha256 and changed.files["data/az/d3.txt"] != before.files["data/az/d3.txt"]
    doc.unlink()
    assert data_fingerprint(project, cache).files["data/az/d3.txt"] == "missing"


def test_model_fingerprint_ignores_descriptions_and_gates(tiny: Any) -> None:
    (project,) = tiny.load()
    data = data_fingerprint(project, None)
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.5}}, deployments=[{"name": "staging"}]))
    (same,) = tiny.load()
    tiny.write_manifest(manifest(training={"max_steps": 31}))
    (other,) = tiny.load()
    assert model_fingerprint(project, data) == model_fingerprint(same, data) != model_fingerprint(other, data)


def test_document_hashes_see_relabeling(tiny: Any) -> None:
    (project,) = tiny.load()
    before = document_hashes(fakes.load_corpus(project))
    docs = make_docs(24)
    docs[5]["spans"] = docs[5]["spans"][1:]
    tiny.write_docs(docs)
    after = document_hashes(fakes.load_corpus(project))
    assert [k for k in before if before[k] != after[k]] == ["d0005"]


def test_an_in_place_edit_that_keeps_size_and_mtime_is_still_seen(tiny: Any, tmp_path: Path) -> None:
    """Same size, mtime restored (as a same-second edit on a coarse clock would leave it): ctime still moves."""
    azure_project(tiny, n=30)
    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "cache"
    before = data_fingerprint(project, cache)
    assert data_fingerprint(project, cache).sha256 == before.sha256  # warm fast path
    doc = tiny.dir / "data" / "az" / "d7.txt"
    st = doc.stat()
    time.sleep(0.01)
    doc.write_text("Bobby 7")  # same length as "Alice 7"
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert doc.stat().st_size == st.st_size and doc.stat().st_mtime_ns == st.st_mtime_ns
    after = data_fingerprint(project, cache)
    assert after.sha256 != before.sha256 and after.files["data/az/d7.txt"] != before.files["data/az/d7.txt"]
    assert after.sha256 == data_fingerprint(project, None).sha256


def test_threaded_stats_agree_with_a_single_thread(tiny: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from nerspec.fingerprints import stats

    azure_project(tiny, n=40)
    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "cache"
    cold = data_fingerprint(project, cache)
    monkeypatch.setattr(stats, "THREADED_STATS", 10)
    monkeypatch.setattr(stats, "_free_cores", lambda: 3)  # threads whatever the machine's load
    assert data_fingerprint(project, cache) == cold
    (tiny.dir / "data" / "az" / "d39.txt").write_text("Alice 39 and more")
    changed = data_fingerprint(project, cache)
    assert changed.sha256 != cold.sha256 and changed.sha256 == data_fingerprint(project, None).sha256


def test_a_lost_hashes_file_still_gives_the_right_file_map(tiny: Any, tmp_path: Path) -> None:
    azure_project(tiny, n=6)
    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "cache"
    cold = data_fingerprint(project, cache)
    for extra in cache.glob("*.hashes"):
        extra.unlink()
    warm = data_fingerprint(project, cache)  # fast path from the main file alone
    assert warm.sha256 == cold.sha256 and warm.files == cold.files


# --- content, not bytes ------------------------------------------------------------------------------


def _write_jsonl(path: Path, docs: list[dict[str, Any]], indent: int | None = None) -> None:
    # jsonl is one record per line; "reformatting" = key order and spacing inside each line.
    lines = [json.dumps(dict(reversed(list(d.items()))), indent=None, separators=(", ", ":  ") if indent else None) for d in docs]
    path.write_text("\n".join(lines) + "\n\n")


def test_reformatting_and_reordering_keep_the_fingerprint(tiny: Any, tmp_path: Path) -> None:
    (project,) = tiny.load()
    cache = tmp_path / "state" / "cache"
    cache.parent.mkdir()
    before = data_fingerprint(project, cache)
    docs = make_docs(24)
    _write_jsonl(tiny.dir / "data" / "docs.jsonl", list(reversed(docs)), indent=2)
    after = data_fingerprint(project, cache)
    assert after.files_sha256 != before.files_sha256  # the bytes changed ...
    assert (after.sha256, after.dev) == (before.sha256, before.dev)  # ... what training sees did not
    assert model_fingerprint(project, after) == model_fingerprint(project, before)


def test_moving_a_document_between_sources_keeps_the_fingerprint(tiny: Any) -> None:
    (project,) = tiny.load()
    before = model_fingerprint(project, data_fingerprint(project, None))
    docs = make_docs(24)
    tiny.write_docs(docs[:20])
    (tiny.dir / "data" / "more.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs[20:]))
    tiny.write_manifest(manifest(data=[{"name": "main", "format": "jsonl", "path": "data/docs.jsonl"},
                                       {"name": "more", "format": "jsonl", "path": "data/more.jsonl"}]))
    (moved,) = tiny.load()
    assert model_fingerprint(moved, data_fingerprint(moved, None)) == before


def test_labels_texts_languages_and_the_split_change_the_fingerprint(tiny: Any) -> None:
    (project,) = tiny.load()
    base = data_fingerprint(project, None).sha256
    for edit in ({"text": "Changed text."}, {"spans": []}, {"language": "de"}):
        docs = make_docs(24)
        docs[3].update(edit)
        tiny.write_docs(docs)
        assert data_fingerprint(project, None).sha256 != base, edit
    tiny.write_docs(make_docs(24))
    tiny.write_manifest(manifest(split={"seed": 99}))
    (reseeded,) = tiny.load()
    assert data_fingerprint(reseeded, None).sha256 != base  # the assignment changed


def test_content_digest_is_cached_by_file_bytes(tiny: Any, tmp_path: Path, monkeypatch: Any) -> None:
    import nerspec.corpus.digest as digest

    age(tiny.dir)
    (project,) = tiny.load()
    cache = tmp_path / "state" / "cache"
    cache.parent.mkdir()
    first = data_fingerprint(project, cache)
    monkeypatch.setattr(digest, "compute", lambda project: (_ for _ in ()).throw(AssertionError("parsed again")))
    assert data_fingerprint(project, cache) == first  # no-op: nothing parsed


def test_a_language_tag_equal_to_the_project_language_changes_nothing(tiny: Any) -> None:
    (project,) = tiny.load()
    base = data_fingerprint(project, None).sha256
    docs = make_docs(24)
    for doc in docs:
        doc["language"] = "en-US"  # the project's language, spelled by the reference's exporter
    tiny.write_docs(docs)
    assert data_fingerprint(project, None).sha256 == base
