"""Fold assignment of the cross-fitting (no training here)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from nerspec.corpus.model import Document
from nerspec.train.cross_fit import FOLDING, cache_key, fold_of, read_scores


def test_copies_of_one_text_are_held_out_together_by_the_label_error_folds() -> None:
    texts = [f"Tweet number {i} about Paris." for i in range(200)]
    docs = [Document(id=f"d{i}", text=t) for i, t in enumerate(texts)]
    copies = [Document(id=f"copy{i}", text=f"  tweet NUMBER {i}\tabout paris. ") for i in range(200)]
    by_text = fold_of(docs + copies, seed=0, folds=5, salt="label-error-fold", by_text=True)
    assert by_text[:200] == by_text[200:]  # case and runs of whitespace folded: each copy in its original's fold
    assert set(by_text) == set(range(5))
    # Adding documents moves no other one, and the assignment by id (the calibration's) is unchanged.
    assert fold_of(docs[:50], 0, 5, "label-error-fold", by_text=True) == by_text[:50]
    by_id = fold_of(docs + copies, seed=0, folds=5, salt="label-error-fold")
    assert by_id[:200] != by_id[200:]


def test_the_fold_cache_is_keyed_by_how_folds_are_assigned() -> None:
    before = hashlib.sha256(b"fingerprint\x005").hexdigest()[:20]  # the key when folds went by id
    assert cache_key("fingerprint", 5) != before
    assert cache_key("fingerprint", 5) == hashlib.sha256(f"fingerprint\x005\x00{FOLDING}".encode()).hexdigest()[:20]


def test_a_fifo_as_the_scores_cache_is_a_cold_cache_not_a_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "scores.json")  # read_scores would block on it forever with a plain open()
    os.mkdir(tmp_path / "dir.json")
    docs = [Document(id="a", text="Alice")]
    assert read_scores(tmp_path / "scores.json", docs) is None
    assert read_scores(tmp_path / "dir.json", docs) is None
