"""ECE of trained artifacts on their projects' test splits, calibrated and raw (shared by the benches).

Entity-level for NER (a returned entity is correct when its span and type match exactly), class-level for
classification (each returned class); ``nerspec.calibration``. Target (issue 11): ECE <= 0.05 calibrated.

ECE has sampling noise of its own: on a few hundred items even a perfectly calibrated model shows a few
hundredths. ``reliability``'s ``sampling_noise`` estimates it for the confidences at hand; it is printed beside
the measured figure so a reader can tell noise from error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_outcomes(project_dir: Path, artifact: Path) -> tuple[dict[str, list[Any]], dict[str, Any], int]:
    """(calibrated and raw (confidence, correct) of the test split, the artifact's calibration block, documents)."""
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.kinds import kind_of
    from nerspec.manifest.load import load_project
    from nerspec.predict import Predictor
    from nerspec.train.artifact import read_artifact

    project = load_project(project_dir)
    test = list(split_corpus(project, load_corpus(project)).test)
    found = read_artifact(artifact)
    texts = [d.text for d in test]
    results = {}
    for name, calibrate in (("calibrated", True), ("raw", False)):
        predictions = list(Predictor(found.path, found.meta, calibrate=calibrate).pipe(texts, batch_size=64))
        results[name] = kind_of(project.kind).outcomes(test, predictions)
    return results, found.meta.calibration_or_empty, len(test)


def print_calibration(project_dir: Path, artifact: Path) -> None:
    print_pooled_calibration([(project_dir, artifact)])
    print_class_pair_calibration(project_dir, artifact)


def print_class_pair_calibration(project_dir: Path, artifact: Path) -> None:
    """Multi-label (issue 27): ECE over every (test document, class) pair, the probability that the class applies;
    what ``evaluate --json`` reports and the calibration gate reads for a per-class calibrated model."""
    from nerspec.class_calibration import per_class_reliability
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_project
    from nerspec.predict import Predictor
    from nerspec.train.artifact import read_artifact

    found = read_artifact(artifact)
    if not found.meta.multilabel:
        return
    project = load_project(project_dir)
    test = list(split_corpus(project, load_corpus(project)).test)
    gold = [d.labels for d in test]
    ece = {}
    for name, calibrate in (("calibrated", True), ("raw", False)):
        predictor = Predictor(found.path, found.meta, calibrate=calibrate)
        scores = [cats for _, cats in predictor.analyze([d.text for d in test], batch_size=64)]
        ece[name] = per_class_reliability(gold, scores)
    per_class = ", ".join(f"{label} {row['ece']:.4f}" for label, row in ece["calibrated"]["per_class"].items())
    print(f"  every (document, class) pair ({ece['calibrated']['items']} items): ECE {ece['calibrated']['ece']:.4f} "
          f"calibrated, {ece['raw']['ece']:.4f} raw; per class {per_class}")


def print_pooled_calibration(runs: list[tuple[Path, Path]]) -> None:
    """ECE over the test items of every (project, artifact) pair, each scored by its own artifact."""
    from nerspec.calibration import reliability
    from nerspec.manifest.load import load_project

    pooled: dict[str, list[Any]] = {"calibrated": [], "raw": []}
    documents, fitted_items, methods = 0, [], set()
    for project_dir, artifact in runs:
        results, fitted, count = test_outcomes(project_dir, artifact)
        for name in pooled:
            pooled[name] += results[name]
        documents += count
        fitted_items.append(int(fitted.get("items", 0)))
        methods.add(f"{fitted.get('method', 'none')} fitted on {fitted.get('fitted_on', 'dev')}")
    calibrated, raw = reliability(pooled["calibrated"]), reliability(pooled["raw"])
    items = "entities" if load_project(runs[0][0]).kind == "NERProject" else "classes"
    where = f"pooled over {len(runs)} folds' " if len(runs) > 1 else ""
    print(f"calibration ({where}{documents} test documents, {calibrated['items']} predicted {items}): "
          f"ECE {calibrated['ece']:.4f} calibrated (target <= 0.05), {raw['ece']:.4f} raw; "
          f"{' / '.join(sorted(methods))}, {'+'.join(map(str, fitted_items))} dev items; a perfectly calibrated "
          f"model with these confidences would show {calibrated['sampling_noise']:.4f} on as many items")
