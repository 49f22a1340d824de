"""A run of characters without whitespace is tokenized in pieces: spaCy's tokenizer is quadratic in such a run (a
text classifier held a server worker for an hour on 125,000 '('); every other token stays what it was."""

from __future__ import annotations

from typing import Any

from nerspec.chunking import LONG_RUN, RUN_PIECE, run_pieces, tokenize_bounded


def _tokens(doc: Any) -> list[tuple[str, str]]:
    return [(t.text, t.whitespace_) for t in doc]


def test_ordinary_text_is_left_to_the_tokenizer() -> None:
    assert run_pieces("Alice flew to Paris. " * 500) is None
    assert run_pieces("x" * (LONG_RUN - 1)) is None


def test_a_long_run_is_tokenized_in_pieces_and_the_text_kept() -> None:
    import spacy

    nlp = spacy.blank("en")
    seen: list[str] = []

    def recording(text: str) -> Any:
        seen.append(text)
        return nlp.tokenizer(text)

    text = "Alice in Paris  " + "(" * (3 * LONG_RUN) + "\nBob  in Berlin."
    doc = tokenize_bounded(nlp.vocab, recording, text)
    assert doc is not None and doc.text == text
    assert max(len(piece.strip()) for piece in seen) <= RUN_PIECE
    whole = _tokens(nlp.make_doc(text))
    assert _tokens(doc)[:4] == whole[:4] and _tokens(doc)[-6:] == whole[-6:]  # the words around the run
    assert [t.idx for t in doc][-3:] == [t.idx for t in nlp.make_doc(text)][-3:]


def test_a_classifier_answers_a_text_of_one_long_run(textcat_model: Any) -> None:
    from nerspec.predict import load

    _root, _state, artifact = textcat_model
    predictor = load(artifact.path)
    [prediction] = list(predictor.pipe(["(" * 20_000]))  # whole: minutes of tokenizing; in pieces: milliseconds
    assert prediction and all(0.0 <= p.confidence <= 1.0 for p in prediction)
