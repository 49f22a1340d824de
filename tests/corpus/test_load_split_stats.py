"""load_corpus (sources, renames, dataset override, URL download), split policies, data stats."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nerspec.corpus.load import load_corpus, referenced_files
from nerspec.corpus.model import Document, Span
from nerspec.corpus.split import dev_split, split_corpus, split_documents
from nerspec.corpus.stats import project_stats
from nerspec.errors import DataError
from nerspec.manifest.load import load_project
from tests.corpus.corpus_fixtures import ner_manifest, write_jsonl, write_manifest


def test_renamed_labels_map_to_the_new_name(make_project) -> None:
    docs = [("a.txt", "Alice in Paris", [(0, 5, "Human"), (9, 14, "City")], "train")]
    project = make_project(docs, entities=("City",), extra_entities="    - {name: Person, renamed_from: Human}\n")
    corpus = load_corpus(project)
    assert corpus.documents[0].spans == [Span(0, 5, "Person"), Span(9, 14, "City")]
    assert corpus.documents[0].source == "labeled"


def test_source_dataset_overrides_and_multiple_sources(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "data" / "train.jsonl", [{"id": "t1", "text": "Alice", "spans": [[0, 5, "Person"]], "dataset": "test"}])
    write_jsonl(tmp_path / "data" / "extra.jsonl", [{"id": "x1", "text": "Bob", "label": [[0, 3, "Person"]]}])
    write_manifest(tmp_path, ner_manifest(data="{name: a, format: jsonl, path: data/train.jsonl, dataset: train}\n"
                                          "    - {name: b, format: jsonl, path: data/extra.jsonl}"))
    project = load_project(tmp_path)
    corpus = load_corpus(project)
    assert [(d.id, d.dataset, d.source) for d in corpus] == [("t1", "train", "a"), ("x1", None, "b")]
    assert {p.name for p in referenced_files(project)} == {"train.jsonl", "extra.jsonl"}


def test_missing_data_file_points_at_the_manifest_line(tmp_path: Path) -> None:
    write_manifest(tmp_path, ner_manifest(data="{name: a, format: jsonl, path: data/none.jsonl}"))
    with pytest.raises(DataError) as info:
        load_corpus(load_project(tmp_path))
    [problem] = info.value.problems
    assert problem.file.endswith("nerspec.yaml") and (problem.line, problem.col) == (9, 38)
    assert problem.where == "spec.data[0].path" and "does not exist" in problem.message


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):  # type: ignore[no-untyped-def]
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_url_source_is_downloaded_verified_and_cached(tmp_path: Path, http_root: tuple[Path, str]) -> None:
    served, base = http_root
    payload = json.dumps({"id": "u1", "text": "Alice", "spans": [[0, 5, "Person"]]}).encode() + b"\n"
    (served / "data.jsonl").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    project_dir = tmp_path / "p"
    write_manifest(project_dir, ner_manifest(data=f"{{name: remote, format: jsonl, url: '{base}/data.jsonl', sha256: {digest}}}"))
    cache = tmp_path / "cache"
    corpus = load_corpus(load_project(project_dir), cache_dir=cache)
    assert [(d.id, d.spans) for d in corpus] == [("u1", [Span(0, 5, "Person")])]
    assert (cache / digest).read_bytes() == payload
    (served / "data.jsonl").unlink()  # the cache serves it now
    assert len(load_corpus(load_project(project_dir), cache_dir=cache)) == 1


def test_url_source_needs_the_cache_its_caller_resolved(tmp_path: Path) -> None:
    project_dir = tmp_path / "p"
    pinned = f"{{name: remote, format: jsonl, url: 'http://127.0.0.1:9/data.jsonl', sha256: '{'0' * 64}'}}"
    write_manifest(project_dir, ner_manifest(data=pinned))
    with pytest.raises(ValueError, match="'remote' is a URL"):
        load_corpus(load_project(project_dir))  # the corpus never picks a state's cache itself
    assert not (project_dir / ".nerspec").exists()


def test_the_data_commands_and_plan_share_the_states_sources_cache(tmp_path: Path, http_root: tuple[Path, str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    served, base = http_root
    payload = "".join(json.dumps({"id": f"u{i}", "text": "Alice", "spans": [[0, 5, "Person"]]}) + "\n" for i in range(20)).encode()
    (served / "data.jsonl").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    project_dir = tmp_path / "p"
    write_manifest(project_dir, ner_manifest(data=f"{{name: remote, format: jsonl, url: '{base}/data.jsonl', sha256: {digest}}}"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NERSPEC_STATE", str(tmp_path / "state"))
    result = CliRunner().invoke(cli, ["data", "stats", str(project_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "state" / "cache" / "sources" / digest).read_bytes() == payload
    (served / "data.jsonl").unlink()  # plan reads the copy the data command downloaded: one copy per state
    planned = CliRunner().invoke(cli, ["plan", str(project_dir)])
    assert planned.exit_code == 0 and "1 to train" in planned.output, planned.output
    assert sorted(p.name for p in (tmp_path / "state" / "cache").iterdir() if len(p.name) == 64) == []


def test_url_source_with_wrong_hash_is_refused(tmp_path: Path, http_root: tuple[Path, str]) -> None:
    served, base = http_root
    (served / "data.jsonl").write_text('{"text": "x"}\n')
    project_dir = tmp_path / "p"
    write_manifest(project_dir, ner_manifest(data=f"{{name: remote, format: jsonl, url: '{base}/data.jsonl', sha256: '{'0' * 64}'}}"))
    with pytest.raises(DataError) as info:
        load_corpus(load_project(project_dir), cache_dir=tmp_path / "cache")
    assert "expected 0000" in info.value.problems[0].message and info.value.problems[0].where == "spec.data[0].sha256"
    assert not list((tmp_path / "cache").iterdir())


def test_url_source_http_error(tmp_path: Path, http_root: tuple[Path, str]) -> None:
    _, base = http_root
    project_dir = tmp_path / "p"
    write_manifest(project_dir, ner_manifest(data=f"{{name: remote, format: jsonl, url: '{base}/missing.jsonl', sha256: '{'0' * 64}'}}"))
    with pytest.raises(DataError, match="HTTP 404"):
        load_corpus(load_project(project_dir), cache_dir=tmp_path / "cache")


def test_an_archive_that_unpacks_past_the_bound_is_refused_before_it_is_unpacked(
    tmp_path: Path, http_root: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    import nerspec.corpus.load

    monkeypatch.setattr(nerspec.corpus.load, "MAX_EXTRACTED_BYTES", 1 << 20)  # a 1 MiB bound: a tiny bomb will do
    served, base = http_root
    with zipfile.ZipFile(served / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("labels.json", "0" * (2 << 20))
    digest = hashlib.sha256((served / "bomb.zip").read_bytes()).hexdigest()
    project_dir = tmp_path / "p"
    write_manifest(project_dir, ner_manifest(data=f"{{name: remote, format: azure, url: '{base}/bomb.zip', sha256: '{digest}'}}"))
    with pytest.raises(DataError) as info:
        load_corpus(load_project(project_dir), cache_dir=tmp_path / "cache")
    [problem] = info.value.problems
    assert problem.where == "spec.data[0].url" and "the archive unpacks to 2,097,152 bytes" in problem.message
    assert not any(p.suffix == ".d" for p in (tmp_path / "cache").iterdir())  # nothing was unpacked

def _docs(n: int, start: int = 0, labels: tuple[str, ...] = ("A", "B", "C")) -> list[Document]:
    return [Document(f"doc-{i}", f"text {i}", [Span(0, 4, labels[i % len(labels)])]) for i in range(start, start + n)]


def test_adding_documents_moves_none_of_the_old_ones() -> None:
    for policy in ("random", "stratified"):
        old = _docs(300)
        before = split_documents(old, policy, 0.2, 7).side_of()
        recorded = {i: side == "test" for i, side in before.items()}  # stratified version 4: from the state
        after = split_documents([*old, *_docs(200, start=300)], policy, 0.2, 7, recorded=recorded).side_of()
        assert {i: after[i] for i in before} == before
        removed = split_documents(old[50:], policy, 0.2, 7, recorded=recorded).side_of()
        assert all(removed[i] == before[i] for i in removed)


def test_random_split_is_deterministic_and_near_the_fraction() -> None:
    docs = _docs(2000)
    first, second = split_documents(docs, "random", 0.2, 1), split_documents(list(reversed(docs)), "random", 0.2, 1)
    assert first.side_of() == second.side_of()
    assert 0.17 < len(first.test) / 2000 < 0.23
    assert split_documents(docs, "random", 0.2, 2).side_of() != first.side_of()


def test_manual_split_uses_dataset(make_project) -> None:
    project = make_project(split="{policy: manual}")
    result = split_corpus(project, load_corpus(project))
    assert [d.id for d in result.test] == ["b.txt"] and len(result.train) == 3


def test_dev_split_is_deterministic_and_from_train_only() -> None:
    train = _docs(100)
    kept, dev = dev_split(train, 0.1, 0)
    assert len(kept) + len(dev) == 100 and dev and not set(d.id for d in kept) & set(d.id for d in dev)
    assert [d.id for d in dev] == [d.id for d in dev_split(list(reversed(train)), 0.1, 0)[1][::-1]][::-1] or \
        {d.id for d in dev} == {d.id for d in dev_split(list(reversed(train)), 0.1, 0)[1]}
    assert dev_split(train[:3], 0.01, 0)[1] == []  # nothing borrowed: training selects on the train set


def test_data_stats_shape(make_project) -> None:
    project = make_project(split="{policy: manual}")
    stats = project_stats(project, load_corpus(project))
    assert stats == {
        "documents": {"train": 3, "test": 1},
        "entities": {
            "Person": {"train": {"instances": 2, "documents": 2}, "test": {"instances": 2, "documents": 1},
                       "total": {"instances": 4, "documents": 3}},
            "City": {"train": {"instances": 3, "documents": 2}, "test": {"instances": 1, "documents": 1},
                     "total": {"instances": 4, "documents": 3}},
        },
    }


def test_classification_stats(classification_project) -> None:
    records = [{"id": str(i), "text": f"t{i}", "labels": [c], "dataset": d}
               for i, (c, d) in enumerate([("Sports", "train"), ("Sports", "test"), ("Tech", "train")])]
    project = classification_project(records)
    project = load_project(project.path.parent)
    raw = project.path.read_text().replace("multilabel: false\n", "multilabel: false\n  split: {policy: manual}\n")
    project.path.write_text(raw)
    project = load_project(project.path)
    stats = project_stats(project, load_corpus(project))
    assert stats["documents"] == {"train": 2, "test": 1}
    assert stats["classes"]["Sports"]["total"] == {"instances": 2, "documents": 2}
    assert stats["classes"]["Politics"]["total"] == {"instances": 0, "documents": 0}
    assert stats["classes"]["Tech"]["test"]["documents"] == 0
