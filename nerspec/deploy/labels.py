"""What a rolled-back or swapped-in model answers with, against the manifest's labels today.

A model trained before an entity type was renamed (``renamed_from``) still returns the old name: clients that
already moved to the new name see types they do not expect. Rollback and swap say so instead of switching quietly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.paths import StatePaths


def label_differences(project: LoadedProject, model_labels: list[str]) -> list[str]:
    """One sentence per difference between the labels a model returns and the manifest's: renames, additions,
    removals (empty when they agree). Pure: the caller reads the model's labels."""
    current = [label.name for label in project.manifest.spec.labels]
    served, wanted = set(model_labels), set(current)
    notes = []
    renamed_old: set[str] = set()
    for label in project.manifest.spec.labels:
        old = [name for name in label.previous_names if name in served and name not in wanted]
        if old and label.name not in served:
            renamed_old.update(old)
            notes.append(f"it returns {' and '.join(old)} where the manifest now says {label.name} (renamed since)")
    missing = [name for name in current if name not in served and not any(
        previous in renamed_old for label in project.manifest.spec.labels if label.name == name
        for previous in label.previous_names)]
    extra = sorted(served - wanted - renamed_old)
    if missing:
        notes.append(f"it never returns {', '.join(missing)} (added since)")
    if extra:
        notes.append(f"it still returns {', '.join(extra)} (removed since)")
    return notes


def served_label_warnings(paths: StatePaths, project: LoadedProject, deployment: str, fingerprint: str) -> list[str]:
    """Warnings for ``deployment`` now serving ``fingerprint``, from the labels recorded when it was trained."""
    from nerspec.state import open_store

    store = open_store(paths, create=False)
    try:
        record = store.get_model(fingerprint)
    finally:
        store.close()
    labels: object = (record.training_inputs.get("labels") if record else None) or []
    names = [str(entry["name"]) for entry in (labels if isinstance(labels, list) else [])
             if isinstance(entry, dict) and "name" in entry]
    if not names:
        return []
    return [f"{project.name}/{deployment} now serves {fingerprint[:12]}, trained with other labels than the "
            f"manifest's: {note}; the next `nerspec apply` trains and deploys the current ones"
            for note in label_differences(project, names)]
