"""Request limits of the reference service and the checks shared by the native endpoint and the jobs API.

Request-level problems (too many documents, too much text, duplicate ids) refuse the whole request;
document-level problems (empty text, one document over the limit, a language the model does not serve)
become per-document errors and the other documents are still analyzed, as the reference does.
Lengths are counted in code points (the reference counts text elements; for a limit this only matters for
text made mostly of multi-code-point clusters, where nerspec is the stricter of the two).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nerspec.serve.documents import DocumentJSON, WarningJSON
from nerspec.serve.errors import ApiError, DocumentErrorJSON, document_error

MAX_DOCUMENTS = 25
MAX_CHARACTERS = 125_000  # per request, and therefore per document
# Raw body bound, checked before JSON parsing so a huge upload cannot exhaust memory. Generous: 125,000
# astral characters written as JSON \\uXXXX surrogate escapes take 12 bytes each.
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_ID_LENGTH = 64 * 1024
# JSON's "\\ud800" decodes to a lone UTF-16 surrogate: not text, and no model or response can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


@dataclass(frozen=True)
class Checked:
    """Documents split into those to analyze (index into the request, id, text) and per-document errors."""

    valid: list[tuple[int, str, str]]
    errors: list[DocumentErrorJSON]
    languages: list[str | None] = field(default_factory=list)  # per valid document: its requested language
    warnings: dict[str, list[WarningJSON]] = field(default_factory=dict)  # document id -> warnings


def language_warning(language: str, languages: list[str]) -> WarningJSON:
    """A multilingual model answers a language it was not trained for, with this per-document warning."""
    return {"code": "UnsupportedLanguageCode",
            "message": f"Language '{language}' is not one of this project's languages ({', '.join(languages)}); "
                       "the result may be less accurate."}


def language_supported(requested: str | None, model_language: str | None) -> bool:
    if not requested or not model_language or model_language in ("xx", "mul"):
        return True
    # "en-us" and "en" name the same model language; compare primary subtags only.
    return requested.lower().split("-")[0].split("_")[0] == model_language.lower().split("-")[0]


def check_documents(
    documents: list[DocumentJSON], model_language: str | None, too_large_status: int, default_language: str | None = None,
    languages: list[str] | None = None,
) -> Checked:
    """Apply the reference's limits. Raises ApiError for request-level problems.

    ``languages``: the languages of a multilingual model; a document in another language is analyzed and gets a
    per-document warning (a single-language model answers it with a per-document error instead)."""
    if not documents:
        raise ApiError(400, "InvalidArgument", "Invalid document in request.", "MissingInputDocuments",
                       "Missing input documents.")
    if len(documents) > MAX_DOCUMENTS:
        raise ApiError(too_large_status, "InvalidArgument", "Invalid document batch.", "InvalidDocumentBatch",
                       f"Batch request contains too many records. Max {MAX_DOCUMENTS} records are permitted.")
    seen: set[str] = set()
    for doc in documents:
        if doc["id"] in seen:
            raise ApiError(400, "InvalidArgument", "Invalid document in request.", "InvalidDocument",
                           "Request contains duplicated Ids. Make sure each document has a unique Id.")
        seen.add(doc["id"])
    valid: list[tuple[int, str, str]] = []
    errors: list[DocumentErrorJSON] = []
    requested: list[str | None] = []
    warnings: dict[str, list[WarningJSON]] = {}
    total = 0
    for position, doc in enumerate(documents):
        text, doc_id = doc["text"], doc["id"]
        language = doc.get("language") or default_language
        if not doc_id.strip() or len(doc_id) > MAX_ID_LENGTH:
            raise ApiError(400, "InvalidArgument", "Invalid document in request.", "InvalidDocument",
                           "Document Id must be a non-empty string." if not doc_id.strip()
                           else f"Document Id is longer than {MAX_ID_LENGTH} characters.")
        if has_surrogate(doc_id):  # the id cannot even be echoed back in an error, so the request is refused
            raise ApiError(400, "InvalidArgument", "Invalid document in request.", "InvalidDocument",
                           "Document Id contains a lone UTF-16 surrogate (not valid Unicode text).")
        if has_surrogate(text):
            errors.append(document_error(
                doc_id, "InvalidDocument", "Document text contains a lone UTF-16 surrogate (not valid Unicode text)."))
        elif not text.strip():
            errors.append(document_error(doc_id, "InvalidDocument", "Document text is empty."))
        elif len(text) > MAX_CHARACTERS:
            errors.append(document_error(
                doc_id, "InvalidDocument",
                f"A document within the request was too large to be processed. Limit document size to: "
                f"{MAX_CHARACTERS} text elements."))
        elif languages is None and not language_supported(language, model_language):
            errors.append(document_error(
                doc_id, "UnsupportedLanguageCode",
                f"Invalid language code '{language}'. Supported languages: {model_language}."))
        else:
            if languages is not None and language and not _covered(language, languages):
                warnings[doc_id] = [language_warning(language, languages)]
            total += len(text)
            valid.append((position, doc_id, text))
            requested.append(language)
    if total > MAX_CHARACTERS:
        raise ApiError(too_large_status, "InvalidArgument", "Invalid document batch.", "InvalidDocumentBatch",
                       f"Request Payload sent is too large to be processed. Limit request size to: "
                       f"{MAX_CHARACTERS} text elements.")
    return Checked(valid, errors, requested, warnings)


def _covered(language: str, languages: list[str]) -> bool:
    from nerspec.languages import covers

    return covers(languages, language)
