"""Every data source of a manifest into one ``Corpus``.

URL sources are downloaded once into ``<cache>/<sha256>`` and verified against the pinned hash, so
a changed remote file is an error, never a silent change of the training data. ``azure`` and
``folders`` sources name directories, so their URL must point at a ``.zip`` or ``.tar.gz`` archive.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from nerspec import progress
from nerspec.atomic import umask
from nerspec.corpus.annotators import apply_rule, merge_by_annotator
from nerspec.corpus.formats import FORMATS, module
from nerspec.corpus.formats.common import source_encoding
from nerspec.corpus.model import Corpus, Document, Span
from nerspec.errors import DataError, Problem
from nerspec.languages import normalize
from nerspec.manifest.load import LoadedProject
from nerspec.manifest.schema import DataSource
from nerspec.safeio import sha256_file
from nerspec.values import nfc


def rename_map(project: LoadedProject) -> dict[str, str]:
    """previous name -> current name; a merge maps several previous names onto one."""
    return {old: label.name for label in project.manifest.spec.labels for old in label.previous_names}


def source_path(project: LoadedProject, index: int, cache_dir: Path | None = None) -> Path:
    """The local file or directory a source reads (downloading a URL source when needed)."""
    source = project.manifest.spec.data[index]
    if source.path is not None:
        return project.dir / source.path
    if cache_dir is None:  # a caller's mistake: the command edge resolves the state's cache and hands it down
        raise ValueError(f"source {source.name!r} is a URL: reading it needs the directory it is downloaded into")
    return _fetch(project, index, source, cache_dir)


def load_source(project: LoadedProject, index: int, cache_dir: Path | None = None) -> list[Document]:
    """The documents of one source as the file has them (no renames, no dataset override)."""
    source = project.manifest.spec.data[index]
    path = source_path(project, index, cache_dir)
    if source.path is not None and not path.exists():
        raise DataError([project.locate(("spec", "data", index, "path"), f"`{source.path}` does not exist")])
    root = project.dir if source.path is not None else path if path.is_dir() else path.parent
    with source_encoding(source.encoding):
        documents = module(source.format).read(path, root)
    documents = apply_rule(merge_by_annotator(documents), source.annotator)
    problems = unencodable(documents)  # every reader of a source (corpus, content fingerprints) refuses them
    if problems:
        raise DataError(problems)
    return documents


def load_corpus(project: LoadedProject, cache_dir: Path | None = None) -> Corpus:
    """Every labeled source's documents, ``renamed_from`` labels mapped to the current names, a source's
    ``dataset`` applied; in a multilingual project a document without its own language gets ``metadata.language``.
    Unlabeled sources (pools) are skipped; drafts and unannotated records go to ``Corpus.set_aside``."""
    renames = rename_map(project)
    metadata = project.manifest.metadata
    default_language = normalize(metadata.language) if metadata.multilingual else None
    documents: list[Document] = []
    set_aside: list[Document] = []
    problems: list[Problem] = []
    for index, source in enumerate(project.manifest.spec.data):
        if source.unlabeled:
            continue
        try:
            docs = load_source(project, index, cache_dir)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        for doc in docs:
            doc.source = source.name
            if source.dataset is not None:
                doc.dataset = source.dataset
            if doc.language is None:
                doc.language = default_language
            _nfc_labels(doc)  # every format: `Café` typed either way is one label, as in the manifest
            if renames:
                doc.spans = [Span(s.start, s.end, renames.get(s.label, s.label)) for s in doc.spans]
                doc.labels = [renames.get(c, c) for c in doc.labels]
        documents.extend(doc for doc in docs if not doc.status)
        set_aside.extend(doc for doc in docs if doc.status)
    if problems:
        raise DataError(problems)
    return Corpus(documents, set_aside)


def _nfc_labels(doc: Document) -> None:
    if not all(s.label.isascii() for s in doc.spans) or not all(c.isascii() for c in doc.labels):
        doc.spans = [Span(s.start, s.end, nfc(s.label)) for s in doc.spans]
        doc.labels = [nfc(c) for c in doc.labels]


_SURROGATE = re.compile("[\ud800-\udfff]")


def unencodable(documents: list[Document]) -> list[Problem]:
    """Lone UTF-16 surrogates (JSON's ``"\\ud800"``) are not text: no model, hash or report can encode them."""
    problems: list[Problem] = []
    for doc in documents:
        for field, value in (("text", doc.text), ("id", doc.id), *(("label", label) for label in doc.labels),
                             *(("label", s.label) for s in doc.spans)):
            found = _SURROGATE.search(value)
            if found:
                code = f"U+{ord(found.group()):04X}"
                problems.append(Problem(doc.location, doc.line, 1 if doc.line else 0, f"document {doc.id.encode('utf-8', 'backslashreplace').decode()!r}",
                                        f"`{field}` has a lone surrogate {code} at character {found.start()} (not valid Unicode text)"))
                break
    return problems


def referenced_files(project: LoadedProject, cache_dir: Path | None = None) -> list[Path]:
    """Every file the project's data reads (for fingerprints)."""
    files: list[Path] = []
    for index, source in enumerate(project.manifest.spec.data):
        if source.unlabeled:
            continue
        files.extend(module(source.format).referenced_files(_entry(source_path(project, index, cache_dir), source)))
    return files


def _entry(path: Path, source: DataSource) -> Path:
    if source.url is not None and FORMATS[source.format].index:
        return _labels_file(path)
    return path


def _fetch(project: LoadedProject, index: int, source: DataSource, cache_dir: Path) -> Path:
    assert source.url is not None and source.sha256 is not None  # the manifest rules guarantee both
    target = cache_dir / source.sha256
    if not (target.is_file() and sha256_file(target) == source.sha256):
        _download(project, index, source, target)
    if not FORMATS[source.format].directory:
        return target
    extracted = cache_dir / f"{source.sha256}.d"
    if not extracted.is_dir():
        _extract(project, index, target, extracted)
    return _labels_file(extracted) if FORMATS[source.format].index else extracted


def _download(project: LoadedProject, index: int, source: DataSource, target: Path) -> None:
    import httpx

    where = ("spec", "data", index, "url")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download.", dir=target.parent)
    os.fchmod(fd, 0o666 & ~umask())  # the user's umask, not mkstemp's 0600
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as handle:
            with httpx.stream("GET", str(source.url), follow_redirects=True, timeout=60.0) as response:
                if response.status_code != 200:
                    raise DataError([project.locate(where, f"download failed: HTTP {response.status_code}")])
                size = response.headers.get("content-length")
                total = int(size) if size and size.isdigit() else None
                with progress.task(f"download {source.name} (bytes)", total) as bar:
                    for chunk in response.iter_bytes():
                        digest.update(chunk)
                        handle.write(chunk)
                        bar.update(advance=len(chunk))
        if digest.hexdigest() != source.sha256:
            raise DataError(
                [
                    project.locate(
                        ("spec", "data", index, "sha256"),
                        f"downloaded file has sha256 {digest.hexdigest()}, expected {source.sha256}",
                    )
                ]
            )
        os.replace(tmp, target)
    except httpx.HTTPError as exc:
        raise DataError([project.locate(where, f"download failed: {exc}")]) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _extract(project: LoadedProject, index: int, archive: Path, target: Path) -> None:
    import tarfile
    import zipfile

    staging = Path(tempfile.mkdtemp(prefix=".extract.", dir=target.parent))
    staging.chmod(0o777 & ~umask())
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for name in zf.namelist():
                    if name.startswith("/") or ".." in Path(name).parts:
                        raise DataError([project.locate(("spec", "data", index, "url"), f"unsafe archive member `{name}`")])
                # zipfile stops each member at its declared size, so the declared total bounds the disk used
                _refuse_bomb(project, index, sum(info.file_size for info in zf.infolist()))
                zf.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                _refuse_bomb(project, index, sum(member.size for member in tf.getmembers()))
                tf.extractall(staging, filter="data")  # refuses absolute paths, `..` and links out
        else:
            raise DataError(
                [project.locate(("spec", "data", index, "url"), "an azure or folders URL must be a .zip or .tar.gz archive")]
            )
        os.replace(staging, target)
    except (tarfile.TarError, zipfile.BadZipFile) as exc:
        raise DataError([project.locate(("spec", "data", index, "url"), f"unreadable archive: {exc}")]) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# What a downloaded archive may unpack to: a few hundred thousand documents are well under it, and a
# 200 KB zip of 200 MB of zeros (a zip bomb) is caught long before it fills the disk.
MAX_EXTRACTED_BYTES = 4 << 30


def _refuse_bomb(project: LoadedProject, index: int, total: int) -> None:
    if total > MAX_EXTRACTED_BYTES:
        raise DataError([project.locate(("spec", "data", index, "url"), (
            f"the archive unpacks to {total:,} bytes, more than the {MAX_EXTRACTED_BYTES >> 30} GiB a data "
            "source may hold (a zip bomb?)"))])


def _labels_file(directory: Path) -> Path:
    candidates = sorted(directory.glob("*.json")) or sorted(directory.glob("*/*.json"))
    return candidates[0] if candidates else directory / "labels.json"


