"""The reference service's analyze-text jobs API, so its official client works against ``nerspec serve``.

Implemented (what ``azure-ai-textanalytics`` 5.4.0 sends and parses, API versions 2022-05-01 and 2023-04-01):

- ``POST /language/analyze-text/jobs?api-version=...`` -> ``202`` with ``Operation-Location``; body
  ``{"displayName", "analysisInput": {"documents": [{"id", "text", "language"}]}, "tasks": [{"kind",
  "taskName", "parameters": {"projectName", "deploymentName", "stringIndexType"}}]}``. Task kinds
  ``CustomEntityRecognition``, ``CustomSingleLabelClassification``, ``CustomMultiLabelClassification``; several
  tasks per job, each with its own project and deployment.
- ``GET /language/analyze-text/jobs/{jobId}?api-version=...[&showStats=true][&top=N&skip=M]`` -> the job state
  (``jobId``, ``status``, ``createdDateTime``, ``lastUpdatedDateTime``, ``expirationDateTime``, ``displayName``,
  ``errors``, ``tasks: {completed, failed, inProgress, total, items}``, ``nextLink`` when ``top`` leaves
  documents for a next page). ``showStats`` adds document and request statistics.
- ``POST /language/analyze-text/jobs/{jobId}:cancel`` -> ``202`` (what the client's ``poller.cancel()`` sends).
- Keys: with ``--api-key-env`` every call needs a matching ``Ocp-Apim-Subscription-Key`` (401 otherwise, in the
  reference's envelope and words); without it keys are ignored.
- Limits: more than 25 documents, more than 125,000 characters, duplicate ids or no documents refuse the job
  (400, ``InvalidDocumentBatch`` / ``InvalidDocument`` / ``MissingInputDocuments`` inner codes); an empty
  document, a document over 125,000 characters or a language other than the model's become per-document errors
  that the client surfaces as ``DocumentError``; an unknown project or deployment, or a task kind that does not
  match the deployed model, fails that task (the job is ``failed``, or ``partiallyCompleted`` when other tasks
  succeeded), which the client raises as ``HttpResponseError`` with the reference's message format.
- Jobs run in the server's worker pool (one ``nlp.pipe`` per task); finished jobs are kept for ``ttl`` (24 h by
  default, as the reference) in memory, bounded in total size (oldest finished jobs are dropped first; when
  unfinished jobs alone fill the bound, new jobs get 429). Job ids are uuid4 (122 random bits).
- A ``GET`` on an unfinished job waits up to five seconds for it to finish and otherwise answers with
  ``Retry-After: 1``, so the client usually needs one poll and never waits its default 5 s interval.

Left out of the reference API (not used by the official client for these task kinds, or not meaningful here):

- The synchronous ``POST /language/:analyze-text`` endpoint and every prebuilt task kind (entity recognition,
  PII, key phrases, sentiment, language detection, linking, healthcare, summarization): 400 ``InvalidArgument``.
- ``DELETE`` of a job (the reference has no delete; results simply expire) and listing jobs.
- Job results survive only in memory: a server restart forgets them (the client then gets 404).
- ``loggingOptOut: true`` keeps the task's texts out of a monitored deployment's log (its features and
  predictions are still logged; without monitoring nothing is); ``modelVersion`` is not
  reported (custom deployments have none); each task's results name the ``modelFingerprint`` that answered,
  and while a rollout is staged each document does too: a canary candidate answers its share of the documents
  exactly as on the native endpoint (``nerspec.serve.rollouts.analyze`` routes both APIs).
- Azure AD (bearer) authentication for the runtime API; only subscription keys.
- Warnings such as ``LongWordsInDocument`` / ``DocumentTruncated`` are never produced: documents are never
  truncated (over the limit they are errors).
- Document length limits count code points, not text elements (see ``nerspec.serve.limits``).

Modules: ``models`` (request bodies, job records, constants), ``store`` (jobs in memory, execution, job state),
``routes`` (the FastAPI routes).
"""

from __future__ import annotations

from nerspec.serve.jobs.models import Job, JobRequest, TaskRun, _now
from nerspec.serve.jobs.routes import router
from nerspec.serve.jobs.store import JobStore, job_state

__all__ = ["Job", "JobRequest", "JobStore", "TaskRun", "_now", "job_state", "router"]
