"""ECE of a trained artifact on its project's test split, calibrated and raw (shared by the benches).

Entity-level for NER (a returned entity is correct when its span and type match exactly), class-level for
classification (each returned class); ``nerspec.calibration``. Target (issue 11): ECE <= 0.05 calibrated.
"""

from __future__ import annotations

from pathlib import Path


def print_calibration(project_dir: Path, artifact: Path) -> None:
    from nerspec.calibration import outcomes, reliability
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.split import split_corpus
    from nerspec.manifest.load import load_project
    from nerspec.predict import Predictor
    from nerspec.train.artifact import read_artifact

    project = load_project(project_dir)
    corpus = load_corpus(project)
    test = list(split_corpus(project, corpus).test)
    found = read_artifact(artifact)
    texts = [d.text for d in test]
    items = "entities" if project.kind == "NERProject" else "classes"
    fitted = found.meta.get("calibration") or {}
    eces = {}
    for name, calibrate in (("calibrated", True), ("raw", False)):
        predictions = list(Predictor(found.path, found.meta, calibrate=calibrate).pipe(texts, batch_size=64))
        eces[name] = reliability(outcomes(project.kind, test, predictions))
    calibrated, raw = eces["calibrated"], eces["raw"]
    print(f"calibration ({len(test)} test documents, {calibrated['items']} predicted {items}): "
          f"ECE {calibrated['ece']:.4f} calibrated (target <= 0.05), {raw['ece']:.4f} raw; "
          f"{fitted.get('method', 'none')} fitted on {fitted.get('items', 0)} dev items")
