"""How one request's documents are analysed, whichever API asked: the limits, the work units (long NER documents
cut into chunks, short ones grouped), the units through the fair scheduler, and the results in request order
(``DocumentResult``, entity offsets in the unit the client asked for). The native endpoint, the jobs API and a
rollout's shadow and canary runs all come here."""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nerspec.predictions import Prediction
from nerspec.serve import fair
from nerspec.serve.documents import DocumentJSON, DocumentResult
from nerspec.serve.errors import DocumentErrorJSON
from nerspec.serve.limits import Checked, check_documents
from nerspec.serve.registry import Loaded
from nerspec.serve.units import convert_entities

if TYPE_CHECKING:
    from nerspec.serve.monitoring import Observer


@dataclass(frozen=True)
class Workers:
    """What a request's analysis runs on: the fair scheduler's threads, and the hub that logs monitored documents."""

    scheduler: fair.FairScheduler
    monitoring: Observer | None = None


def prepare(loaded: Loaded, documents: list[DocumentJSON], too_large_status: int) -> tuple[Checked, fair.Plan]:
    """Limits, then the work units (long NER documents cut into chunks, short ones grouped)."""
    predictor = loaded.predictor
    multilingual = bool(getattr(predictor, "multilingual", False))
    languages = list(getattr(predictor, "languages", None) or []) if multilingual else None
    checked = check_documents(documents, loaded.language, too_large_status, default_language=None, languages=languages)
    plan = fair.plan_units([text for _, _, text in checked.valid], chunk=loaded.project_kind.annotates_spans)
    return checked, plan


def unit_work(loaded: Loaded, checked: Checked, plan: fair.Plan) -> list[fair.Unit]:
    """One call per unit; a multilingual model gets each segment's requested language."""
    multilingual = bool(getattr(loaded.predictor, "multilingual", False))
    return [
        functools.partial(
            loaded.pipe,
            [text for _, _, text in segments],
            languages=[checked.languages[index] for index, _, _ in segments] if multilingual else None,
        )
        for segments in plan.units
    ]


def assemble(loaded: Loaded, checked: Checked, plan: fair.Plan, outputs: list[list[Prediction]], unit: str,
             single_label: bool = False, monitoring: Observer | None = None) -> list[DocumentResult]:
    """Results in request order, entity offsets in ``unit``; ``monitoring`` (the ``MonitoringHub``, or a view of it
    that withholds texts) is handed the code-point predictions of a monitored deployment."""
    kind = loaded.project_kind
    predictions = fair.merge(plan, outputs, kind.annotates_spans)
    if monitoring is not None:
        monitoring.observe(loaded, checked, [p[:1] if single_label else p for p in predictions])
    results = []
    for (_, doc_id, text), predicted in zip(checked.valid, predictions):
        warnings = checked.warnings.get(doc_id, [])
        if kind.annotates_spans:
            items = convert_entities(text, predicted, unit)
        else:
            items = predicted[:1] if single_label else predicted
        results.append(DocumentResult(doc_id, kind.result_key, items, warnings))
    return results


def analyze_documents(
    loaded: Loaded, documents: list[DocumentJSON], unit: str, too_large_status: int, single_label: bool = False,
    scheduler: fair.FairScheduler | None = None, client: str = "inline", monitoring: Observer | None = None,
    timings: list[float] | None = None,
) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
    """Blocking: limits, the units through ``scheduler`` (inline without one), results in request order."""
    checked, plan = prepare(loaded, documents, too_large_status)
    work = unit_work(loaded, checked, plan)
    if timings is not None:
        work = [functools.partial(_timed, fn, timings) for fn in work]
    if scheduler is None:
        outputs = [fn() for fn in work]
    else:
        futures, done = scheduler.submit(client, work)
        try:
            outputs = [future.result() for future in futures]
        finally:
            done()
    return assemble(loaded, checked, plan, outputs, unit, single_label, monitoring), checked.errors


async def analyze_fairly(workers: Workers, client: str, loaded: Loaded, documents: list[DocumentJSON], unit: str,
                         too_large_status: int, timings: list[float] | None = None, single_label: bool = False,
                         ) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
    """The native endpoint's path (and a rollout's, whichever API asked): waits for its units without holding a
    thread. ``timings`` gets each unit's CPU time in ms (a rollout compares the models' own cost, not their wait in
    the scheduler)."""
    checked, plan = prepare(loaded, documents, too_large_status)
    work = unit_work(loaded, checked, plan)
    if timings is not None:
        work = [functools.partial(_timed, fn, timings) for fn in work]
    futures, done = workers.scheduler.submit(client, work)
    try:
        outputs = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
    finally:
        done()
    return (assemble(loaded, checked, plan, list(outputs), unit, single_label, workers.monitoring),
            checked.errors)


def _timed(fn: fair.Unit, timings: list[float]) -> list[Prediction]:
    """``fn()``, adding its CPU time on this worker thread (ms) to ``timings``: the model's cost, not the machine's."""
    started = time.thread_time()
    try:
        return fn()
    finally:
        timings.append((time.thread_time() - started) * 1000.0)
