"""Guidance from the data and the results: what to label, merge or fix next.

Rules (codes in parentheses), after the reference's "improve model" advice:

- fewer than 15 training instances of a type (``few_instances``, warning: the reference's own warning);
  fewer than 50 (``below_recommended``, info: the reference recommends about 50). Classification: fewer
  than 50 training documents of a class (``few_documents``, warning).
- a type or class with training data but none in the test set (``missing_in_test``, warning): its score
  cannot be measured.
- imbalance: the largest training count is at least 10x the smallest nonzero one (``imbalance``, warning);
  the same on the test side (``test_imbalance``, info).
- train and test distributions differ (``distribution_mismatch``, warning): the total-variation distance
  between the label proportions of the two sides, ``0.5 * sum(|p_train - p_test|)``, exceeds 0.2. The
  message names the labels whose share differs by more than 0.1 (or the largest difference).
- a pair of types/classes confused in at least 10% of a type's test instances, and in at least 3 of them
  (``ambiguous_schema``, warning: merge or clarify them). Counted from the confusion matrix (NER: same span,
  other type). The count floor keeps one slip in a small test set (1 of 10) from reading as a schema problem.
- NER only: spurious predictions (no overlapping tagged entity) whose exact text is tagged elsewhere in the
  data (``possibly_incomplete_tagging``, info): the model may be right and the test document incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from nerspec.corpus.model import Document
from nerspec.metrics.confusion import ConfusionJSON, confused_pairs
from nerspec.metrics.review import ReviewDocument

MIN_INSTANCES = 15
RECOMMENDED_INSTANCES = 50
RECOMMENDED_DOCUMENTS = 50
IMBALANCE_RATIO = 10.0
MAX_TOTAL_VARIATION = 0.2
LABEL_SHARE_DIFFERENCE = 0.1
CONFUSION_SHARE = 0.10
# 10% alone fires on a single confusion of a type with 10 test instances: noise, not an ambiguous schema.
MIN_CONFUSED = 3
MAX_EXAMPLES = 3


class GuidanceJSON(TypedDict):
    """An entry of the Evaluation's ``guidance``."""

    code: str
    severity: str  # warning or info
    message: str
    labels: list[str]


class LabelStats(TypedDict):
    instances: int
    documents: int


class SideStats(TypedDict):
    documents: int
    labels: dict[str, LabelStats]


class Sides(TypedDict):
    """The Evaluation's ``data``."""

    train: SideStats | None
    test: SideStats


def side_stats(docs: Sequence[Document], spans: bool) -> SideStats:
    """``{"documents": N, "labels": {LABEL: {"instances", "documents"}}}`` of one side (``spans``: the kind
    labels spans, else whole documents: ``ProjectKind.annotates_spans``)."""
    labels: dict[str, LabelStats] = {}
    for doc in docs:
        names = [s.label for s in doc.spans] if spans else list(dict.fromkeys(doc.labels))
        for name in names:
            labels.setdefault(name, {"instances": 0, "documents": 0})["instances"] += 1
        for name in set(names):
            labels[name]["documents"] += 1
    return {"documents": len(docs), "labels": dict(sorted(labels.items()))}


def _g(code: str, severity: str, message: str, labels: list[str]) -> GuidanceJSON:
    return {"code": code, "severity": severity, "message": message, "labels": labels}


def _counts(stats: SideStats | None, labels: Sequence[str]) -> dict[str, int]:
    found = stats["labels"] if stats is not None else {}
    return {label: found[label]["instances"] if label in found else 0 for label in labels}


def _imbalance(counts: dict[str, int], code: str, severity: str, side: str, unit: str) -> list[GuidanceJSON]:
    present = {k: v for k, v in counts.items() if v > 0}
    if len(present) < 2:
        return []
    big = max(present, key=lambda k: present[k])
    small = min(present, key=lambda k: present[k])
    ratio = present[big] / present[small]
    if ratio < IMBALANCE_RATIO:
        return []
    return [_g(code, severity,
               f"imbalanced {side} data: {big} has {present[big]} {unit}, {small} only {present[small]} "
               f"({ratio:.0f}x); label more {small} or expect it to score lower", [big, small])]


def _distribution(train: dict[str, int], test: dict[str, int]) -> list[GuidanceJSON]:
    n_train, n_test = sum(train.values()), sum(test.values())
    if not n_train or not n_test:
        return []
    labels = sorted(set(train) | set(test))
    diff = {k: test.get(k, 0) / n_test - train.get(k, 0) / n_train for k in labels}
    tvd = 0.5 * sum(abs(v) for v in diff.values())
    if tvd <= MAX_TOTAL_VARIATION:
        return []
    named = [k for k in labels if abs(diff[k]) > LABEL_SHARE_DIFFERENCE] or [max(labels, key=lambda k: abs(diff[k]))]
    parts = [f"{k} {train.get(k, 0) / n_train:.0%} of train vs {test.get(k, 0) / n_test:.0%} of test" for k in named]
    return [_g("distribution_mismatch", "warning",
               f"train and test distributions differ (total variation {tvd:.2f} > {MAX_TOTAL_VARIATION}): "
               + "; ".join(parts) + "; the test set may not measure what training teaches", named)]


def _ambiguous(confusion: ConfusionJSON, unit: str) -> list[GuidanceJSON]:
    out = []
    for gold, pred, count, total in confused_pairs(confusion):
        if total and count >= MIN_CONFUSED and count / total >= CONFUSION_SHARE:
            out.append(_g("ambiguous_schema", "warning",
                          f"{count} of {total} test {unit} of {gold} ({count / total:.0%}) were predicted as {pred}: "
                          "ambiguous schema: merge or clarify these labels", [gold, pred]))
    return out


def _incomplete_tagging(documents: Sequence[ReviewDocument], tagged_docs: Sequence[Document]) -> list[GuidanceJSON]:
    tagged: dict[str, dict[str, int]] = {}
    for doc in tagged_docs:
        for s in doc.spans:
            text = doc.text[s.start : s.end].strip()
            if text:
                by_label = tagged.setdefault(text, {})
                by_label[s.label] = by_label.get(s.label, 0) + 1
    found: dict[str, list[str]] = {}
    for result in documents:
        for item in result["predicted"]:
            if item.get("status") == "FP" and item.get("error") == "spurious":
                text = item.get("text", "").strip()
                if text in tagged:
                    found.setdefault(item["label"], []).append(text)
    out = []
    for label, texts in sorted(found.items()):
        examples = list(dict.fromkeys(texts))[:MAX_EXAMPLES]
        shown = ", ".join(
            f"{t!r} (tagged {'/'.join(f'{k} x{v}' for k, v in sorted(tagged[t].items()))})" for t in examples
        )
        others = sorted({k for t in texts for k in tagged[t]})
        out.append(_g("possibly_incomplete_tagging", "info",
                      f"{len(texts)} spurious {label} prediction{'s' if len(texts) != 1 else ''} match text tagged "
                      f"elsewhere in the data, e.g. {shown}: possibly incomplete tagging in the test documents",
                      sorted({label, *others})))
    return out


def guidance(
    spans: bool,
    labels: Sequence[str],
    data: Sides,
    confusion: ConfusionJSON,
    documents: Sequence[ReviewDocument],
    tagged_docs: Sequence[Document] = (),
) -> list[GuidanceJSON]:
    """The ``guidance`` list of the Evaluation JSON. ``data`` is its ``data`` section (``train`` may be None,
    then the train-side rules are skipped); ``tagged_docs`` are the documents whose tags count as "labeled
    elsewhere" for the incomplete-tagging rule. ``spans``: the kind labels spans (``ProjectKind.annotates_spans``);
    instance counts and incomplete tagging apply to spans, document counts to classes."""
    unit = "instances" if spans else "documents"
    out: list[GuidanceJSON] = []
    train_stats, test_stats = data["train"], data["test"]
    test = _counts(test_stats, labels)
    if train_stats is not None:
        train = _counts(train_stats, labels)
        for label in labels:
            n = train[label]
            if spans and n < MIN_INSTANCES:
                out.append(_g("few_instances", "warning",
                              f"{label} has {n} training instances (fewer than {MIN_INSTANCES}): the model will "
                              f"rarely find it; label about {RECOMMENDED_INSTANCES}", [label]))
            elif spans and n < RECOMMENDED_INSTANCES:
                out.append(_g("below_recommended", "info",
                              f"{label} has {n} training instances; about {RECOMMENDED_INSTANCES} are recommended",
                              [label]))
            elif not spans and n < RECOMMENDED_DOCUMENTS:
                out.append(_g("few_documents", "warning",
                              f"{label} has {n} training documents (fewer than {RECOMMENDED_DOCUMENTS} recommended)",
                              [label]))
        for label in labels:
            if train[label] > 0 and test[label] == 0:
                out.append(_g("missing_in_test", "warning",
                              f"{label} has training data but no test {unit}: its score cannot be measured", [label]))
        out.extend(_imbalance(train, "imbalance", "warning", "training", unit))
        out.extend(_distribution(train, test))
    else:
        for label in labels:
            if test[label] == 0:
                out.append(_g("missing_in_test", "warning", f"{label} has no test {unit}: its score cannot be measured",
                              [label]))
    out.extend(_imbalance(test, "test_imbalance", "info", "test", unit))
    out.extend(_ambiguous(confusion, unit))
    if spans:
        out.extend(_incomplete_tagging(documents, tagged_docs))
    return out


def language_guidance(
    spans: bool, labels: Sequence[str], train_docs: Sequence[Document] | None, test_docs: Sequence[Document]
) -> list[GuidanceJSON]:
    """``few_instances_in_language`` (warning): in a project of several languages, a language with fewer than
    ``MIN_INSTANCES`` training instances (classification: documents) of a type that the project trains. One
    warning per language, naming its thin types; the model learns those types mostly from other languages."""
    docs = list(train_docs or [])
    languages = sorted({d.language for d in [*docs, *test_docs] if d.language})
    if len(languages) < 2:
        return []
    counts: dict[str, dict[str, int]] = {language: dict.fromkeys(labels, 0) for language in languages}
    for doc in docs:
        if not doc.language:
            continue
        names = [s.label for s in doc.spans] if spans else list(dict.fromkeys(doc.labels))
        for name in names:
            if name in counts[doc.language]:
                counts[doc.language][name] += 1
    unit = "instances" if spans else "documents"
    out = []
    for language in languages:
        thin = [f"{label} ({n})" for label, n in counts[language].items() if n < MIN_INSTANCES]
        if thin:
            out.append(_g("few_instances_in_language", "warning",
                          f"language {language}: fewer than {MIN_INSTANCES} training {unit} of "
                          f"{', '.join(thin)}; label more {language} examples of them",
                          [t.split(" (")[0] for t in thin]))
    return out
