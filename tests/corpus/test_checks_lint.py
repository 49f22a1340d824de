"""Data checks (errors and warnings, located) and label lint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from nerspec.corpus.checks import check_corpus, trim_whitespace
from nerspec.corpus.fix import fix_whitespace
from nerspec.corpus.lint import lint_corpus
from nerspec.corpus.load import load_corpus
from nerspec.corpus.model import Corpus, Document, Span
from nerspec.kinds import kind_of
from nerspec.manifest.load import load_project
from tests.corpus.corpus_fixtures import write_jsonl


def _codes(findings) -> list[tuple[str, str, str | None]]:
    return sorted((f.severity, f.code, f.doc_id) for f in findings)


def test_clean_sample_has_only_expected_warnings(make_project) -> None:
    project = make_project()
    findings = check_corpus(project, load_corpus(project), kind_of(project.kind))
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.code for f in findings} == {"too_few_documents"}


def test_span_errors_are_located_with_excerpts(make_project) -> None:
    text = "Alice met Bob\nin Paris and Rome."
    docs = [("x.txt", text, [(0, 5, "Person"), (2, 9, "Person"), (17, 22, "Town"), (27, 27, "City"), (30, 99, "City")], "train")]
    project = make_project(docs)
    findings = check_corpus(project, load_corpus(project), kind_of(project.kind))
    errors = {f.code: f for f in findings if f.severity == "error"}
    assert set(errors) == {"overlapping_spans", "unknown_label", "empty_span", "span_outside_text"}
    unknown = errors["unknown_label"]
    assert (unknown.line, unknown.col, unknown.start, unknown.end) == (2, 4, 17, 22)
    assert unknown.excerpt == "Alice met Bob in [Paris] and Rome."
    assert str(unknown.problem()).endswith(
        "x.txt:2:4: x.txt[17:22]: entity type `Town` is not declared in spec.entities (`Person`, `City`): Alice met Bob in [Paris] and Rome.")


def test_inverted_span_and_limits() -> None:
    from nerspec.corpus.checks import check_spans  # the NER kind's checks, on an in-memory corpus

    class P:  # the parts of a LoadedProject the NER checks read
        class manifest:  # noqa: N801
            class metadata:  # noqa: N801
                language = "en"

    doc = Document("d", "x" * 600, [Span(5, 2, "Person"), Span(0, 501, "Person")])
    codes = sorted(f.code for f in check_spans(P, Corpus([doc]), ["Person"]))
    assert codes == ["inverted_span", "span_not_on_tokens", "span_too_long"]


def test_warnings_whitespace_punctuation_tokens_duplicates_unused(make_project) -> None:
    docs = [
        ("a.txt", "Alice  lives in Paris, France.", [(0, 6, "Person"), (16, 22, "City")], "train"),
        ("b.txt", "Meet Alicia at Acme Corp. today.", [(5, 9, "Person")], "train"),
        ("c.txt", "Same text.", [], "train"),
        ("d.txt", "Same text.", [], "test"),
        ("e.txt", "Inc. and Co. Ltd. are fine: Acme Inc.", [(28, 37, "Person")], "train"),
    ]
    project = make_project(docs, entities=("Person", "City", "Date"), split="{policy: manual}")
    findings = check_corpus(project, load_corpus(project), kind_of(project.kind))
    assert _codes(findings) == [
        ("warning", "no_test_instances", None),  # Person and City: every labeled document is in train
        ("warning", "no_test_instances", None),
        ("warning", "span_not_on_tokens", "b.txt"),
        ("warning", "span_punctuation", "a.txt"),
        ("warning", "span_whitespace", "a.txt"),
        ("warning", "too_few_documents", None),
        ("warning", "train_test_leakage", "c.txt"),
        ("warning", "unused_label", None),
    ]
    unused = next(f for f in findings if f.code == "unused_label")
    assert unused.location.endswith("nerspec.yaml") and unused.line == 8 and "`Date`" in unused.message
    untested = [f.message for f in findings if f.code == "no_test_instances"]
    assert untested == ["entity type `Person` has no instances in the test split; its scores cannot be measured",
                        "entity type `City` has no instances in the test split; its scores cannot be measured"]


def test_a_split_without_test_documents_is_a_located_error(make_project) -> None:
    docs = [(f"{i}.txt", f"Alice went to Paris {i}.", [(0, 5, "Person")], "train") for i in range(12)]
    project = make_project(docs, split="{policy: manual}")
    (error,) = [f for f in check_corpus(project, load_corpus(project), kind_of(project.kind)) if f.severity == "error"]
    assert error.code == "no_test_documents" and error.location.endswith("nerspec.yaml") and error.line > 0
    assert "manual split leaves no test documents" in error.message and "dataset: Test" in error.message


def test_token_boundary_uses_spacy_for_punctuation_edges(make_project) -> None:
    docs = [("a.txt", "Paid 10km. Owner: O'Neill's.", [(5, 7, "City"), (18, 25, "Person")], "train"),
            ("b.txt", "U.S.A. rules", [(0, 3, "City")], "train")]
    project = make_project(docs)
    flagged = [(f.doc_id, f.start) for f in check_corpus(project, load_corpus(project), kind_of(project.kind)) if f.code == "span_not_on_tokens"]
    # spaCy splits "10km" and "O'Neill's" -> "O'Neill" + "'s", but keeps "U.S.A." whole.
    assert flagged == [("b.txt", 0)]


def test_duplicate_ids_and_empty_documents(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "1", "text": "Alice"}, {"id": "1", "text": "Bob"}, {"id": "2", "text": "  "}])
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: d}\nspec:\n  entities: [{name: Person}]\n"
        "  data: [{name: d, format: jsonl, path: d.jsonl}]\n")
    project = load_project(tmp_path)
    findings = check_corpus(project, load_corpus(project), kind_of(project.kind))
    errors = [(f.code, f.doc_id, f.line) for f in findings if f.severity == "error"]
    assert sorted(errors) == [("duplicate_id", "1", 2), ("empty_document", "2", 3)]


def test_classification_checks(classification_project) -> None:
    records = [
        {"id": "1", "text": "goal", "labels": ["Sports"]},
        {"id": "2", "text": "vote", "labels": ["Sports", "Politics"]},
        {"id": "3", "text": "chip", "labels": []},
        {"id": "4", "text": "ball", "labels": ["Cooking"]},
        {"id": "5", "text": "goal", "labels": ["Politics"]},
    ]
    project = classification_project(records)
    findings = check_corpus(project, load_corpus(project), kind_of(project.kind))
    # Stratified quotas (split version 4) give no class of one or two documents a test document at 0.2.
    assert [(f.code, f.doc_id) for f in findings if f.severity == "error"] == [
        ("single_label_count", "2"), ("single_label_count", "3"), ("unknown_class", "4"), ("no_test_documents", None)]
    warnings = {f.code for f in findings if f.severity == "warning"}
    assert {"unused_label"} <= warnings and warnings & {"duplicate_text", "train_test_leakage"}
    assert [f.code for f in lint_corpus(project, load_corpus(project), kind_of(project.kind))] == ["lint_class_conflict"]


def test_multilabel_allows_several_classes(classification_project) -> None:
    project = classification_project([{"id": "1", "text": "a", "labels": ["Sports", "Tech"]}, {"id": "2", "text": "b", "labels": []}],
                                     multilabel=True)
    # Two documents may leave no test side (its own error); no error may be about the classes.
    errors = [f.code for f in check_corpus(project, load_corpus(project), kind_of(project.kind)) if f.severity == "error"]
    assert [code for code in errors if code != "no_test_documents"] == []


def test_fix_whitespace_rewrites_azure_and_jsonl(make_project, tmp_path: Path) -> None:
    docs = [("a.txt", "😀 Alice  lives in  Paris", [(1, 8, "Person"), (17, 24, "City")], "train")]
    project = make_project(docs)
    assert list(fix_whitespace(project).values()) == [2]
    doc = load_corpus(project).documents[0]
    assert [s.text(doc.text) for s in doc.spans] == ["Alice", "Paris"]
    assert fix_whitespace(project) == {}
    assert trim_whitespace(doc) == []


def test_fix_whitespace_jsonl(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "1", "text": "Hi  Alice ", "label": [[3, 10, "Person"]], "extra": 1}])
    (tmp_path / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\nmetadata: {name: d}\nspec:\n  entities: [{name: Person}]\n"
        "  data: [{name: d, format: jsonl, path: d.jsonl}]\n")
    project = load_project(tmp_path)
    assert list(fix_whitespace(project).values()) == [1]
    assert '"label": [[4, 9, "Person"]], "extra": 1' in (tmp_path / "d.jsonl").read_text()


def test_lint_finds_inconsistent_and_incomplete_tagging(make_project) -> None:
    docs = [
        ("1.txt", "Acme Corp hired Jordan.", [(0, 9, "Company"), (16, 22, "Person")], "train"),
        ("2.txt", "Jordan visited Acme Corp.", [(0, 6, "City"), (15, 25, "Company")], "train"),
        ("3.txt", "Later Acme Corp paid; Acme Corporation did not.", [], "train"),
        ("4.txt", "Acme Corp again, and Jordan.", [(0, 9, "Company")], "train"),
    ]
    project = make_project(docs, entities=("Company", "Person", "City"))
    findings = lint_corpus(project, load_corpus(project), kind_of(project.kind))
    by_code = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    [conflict] = by_code["lint_type_conflict"]
    assert "`Jordan`" in conflict.message and "City 1×" in conflict.message and "Person 1×" in conflict.message
    [variants] = by_code["lint_boundary_variants"]
    assert "`Acme Corp`" in variants.message and "`Acme Corp.`" in variants.message
    untagged = {f.message.split("`")[1]: f for f in by_code["lint_untagged"]}
    assert set(untagged) == {"Acme Corp", "Jordan"}
    assert "untagged 1× in 1 documents (e.g. 3.txt)" in untagged["Acme Corp"].message
    assert untagged["Acme Corp"].excerpt == "Later [Acme Corp] paid; Acme Corporat…"
    assert "untagged 1× in 1 documents (e.g. 4.txt)" in untagged["Jordan"].message


def test_lint_reports_every_untagged_name_across_many_documents() -> None:
    """Each of 200 names is tagged in some documents and untagged in others (its speed is bench/core_speed.py's)."""
    from nerspec.corpus.lint import lint_ner

    names = [f"Name{i}" for i in range(200)]
    docs = []
    for i in range(2000):
        name = names[i % 200]
        text = f"Yesterday {name} signed the contract with {names[(i * 7) % 200]} in the city of Oslo again."
        docs.append(Document(str(i), text, [Span(10, 10 + len(name), "Person")]))
    findings = lint_ner(Corpus(docs))
    assert sum(f.code == "lint_untagged" for f in findings) == 200


def test_trailing_period_after_digit_or_bracket_is_stray_but_abbreviations_keep_theirs() -> None:
    from nerspec.corpus.checks import _stray_punctuation

    stray = ["$250,000.", "($500,000.00).", "2029.", "December 31, 2029.", "6.25%.",
             "Eighteen Million Dollars ($18,000,000.00).", "Acme Inc.).", "Paris.", "Berlin…", "北京。"]
    kept = ["Corp.", "U.S.", "Inc.", "Ltd.", "Co.", "Acme Corp.", "Halcyon Biotech, Inc.", "First Meridian Bank, N.A.",
            "Shenzhen Huaxin Trading Co., Ltd.", "Dollars ($18,000,000.00)", "$18,000,000.00", "St."]
    assert [s for s in stray if not _stray_punctuation(s)] == []
    assert [s for s in kept if _stray_punctuation(s)] == []


def test_span_with_sentence_period_after_amount_is_flagged(make_project) -> None:
    text = "Lend the sum of Eighteen Million Dollars ($18,000,000.00). Due 2029. Paid $250,000. Acme Corp."
    amount = text.index("Eighteen")
    docs = [("a.txt", text, [(amount, text.index(")") + 2, "City"), (text.index("2029"), text.index("2029") + 5, "City"),
                             (text.index("$250"), text.index("$250") + 9, "City"),
                             (text.index("Acme"), len(text), "Person")], "train")]
    project = make_project(docs)
    flagged = sorted(f.start for f in check_corpus(project, load_corpus(project), kind_of(project.kind)) if f.code == "span_punctuation")
    assert flagged == sorted([amount, text.index("2029"), text.index("$250")])


def test_lint_untagged_matches_only_on_token_boundaries(make_project) -> None:
    docs = [
        ("1.txt", "The loan is $39,000 in total.", [(12, 19, "City")], "train"),
        ("2.txt", "Revenue was $39,000,900 and Jordan's loan is $39,000.", [(28, 34, "Person")], "train"),
        ("3.txt", "Jordan.", [], "train"),
        ("4.txt", "Jordanian food; $39,0001 and x$39,000.", [], "train"),
    ]
    project = make_project(docs, entities=("City", "Person"))
    untagged = {f.message.split("`")[1]: f for f in lint_corpus(project, load_corpus(project), kind_of(project.kind)) if f.code == "lint_untagged"}
    assert set(untagged) == {"$39,000", "Jordan"}
    # The hit is the real one after "loan is", not the prefix of "$39,000,900", and is located there.
    assert "untagged 1× in 1 documents (e.g. 2.txt)" in untagged["$39,000"].message
    assert (untagged["$39,000"].start, untagged["$39,000"].end) == (45, 52)
    assert "untagged 1× in 1 documents (e.g. 3.txt)" in untagged["Jordan"].message
    assert (untagged["Jordan"].start, untagged["Jordan"].end) == (0, 6)


def test_example_project_reports_its_deliberate_slips_only() -> None:
    project = load_project(Path(__file__).resolve().parents[2] / "projects" / "example")
    corpus = load_corpus(project)
    untagged = [(f.doc_id, f.message.split("`")[1]) for f in lint_corpus(project, corpus, kind_of(project.kind)) if f.code == "lint_untagged"]
    # loan-0085.txt leaves a second mention of `Northwind Fitness Studios Inc.` untagged on purpose; unlabeled
    # amounts (fees, revenue, appraisals) never repeat a labeled loan amount, so no amount is reported.
    assert ("loan-0085.txt", "Northwind Fitness Studios Inc.") in untagged
    assert [hit for hit in untagged if hit[1][:1] in "$€£"] == []
    # loan-0046.txt's LoanAmount takes in the sentence's final period on purpose.
    flagged = [f.doc_id for f in check_corpus(project, corpus, kind_of(project.kind)) if f.code == "span_punctuation"]
    assert "loan-0046.txt" in flagged


def test_a_finding_round_trips_through_its_json() -> None:
    import json

    from nerspec.corpus.findings import Finding

    finding = Finding("warning", "lint_untagged", "`Acme` is tagged elsewhere", "d1", "data.jsonl", 3, 7, "…[Acme]…",
                      2, 5)
    assert Finding.from_dict(json.loads(json.dumps(finding.to_dict()))) == finding
    assert Finding.from_dict({**finding.to_dict(), "added_later": 1}) == finding


class _CountingPattern:
    """``lint.TOKEN`` that counts the tokens it produces: the work lint's tokenizer does."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.tokens = pattern, 0

    def findall(self, text: str) -> list[str]:
        found = self.pattern.findall(text)
        self.tokens += len(found)
        return found

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for match in self.pattern.finditer(text):
            self.tokens += 1
            yield match


def test_lint_tokenizes_no_more_than_a_few_words_of_each_long_nested_span(make_project, monkeypatch) -> None:
    from nerspec.corpus import lint

    text = "Alice " + "word " * 400
    nested = [(0, len(text) - 1 - i, "Person") for i in range(300)]  # 300 ever shorter spans over the whole text
    project = make_project([("a.txt", text, nested, "train"), ("b.txt", "Alice left.", [], "test")])
    counting = _CountingPattern(lint.TOKEN)
    monkeypatch.setattr(lint, "TOKEN", counting)
    lint_corpus(project, load_corpus(project), kind_of(project.kind))
    # Every surface was tokenized in full (10,000 nested spans of a long document took 5 s): here 300 x 400 tokens;
    # now each document's text, and of each surface its first few words only.
    assert counting.tokens < 10 * 403, counting.tokens
