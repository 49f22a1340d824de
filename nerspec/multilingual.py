"""One model for every language of a multilingual project, each text tokenized by its own language's rules.

A multilingual project trains one spaCy pipeline with ``lang = "xx"`` (shared vocabulary, tok2vec and NER or
textcat). Its ``Doc``s are not made by the ``xx`` tokenizer but by ``spacy.blank(<language>).tokenizer`` of each
document's (or request's) own language, then rebuilt in the pipeline's vocabulary (``Doc(vocab, words, spaces)``,
which is lossless: token texts and their whitespace give back the exact text). German keeps ``z.B.`` and ``Nr.``
whole, English splits ``don't`` into ``do n't``, Russian and Greek get their own exceptions; measured in
``bench/multilingual_tokenizers.py`` (docs/architecture.md, "Multilingual projects").

Languages whose spaCy tokenizer needs a package nerspec does not install fall back, never crash:

- Chinese (``zh``): spaCy's default ``char`` segmenter, built in (``spacy-pkuseg`` would give word segmentation;
  not installed, not needed).
- Japanese (``ja``, needs ``sudachipy`` + ``sudachidict_core``) and Thai (``th``, needs ``pythainlp``): one token
  per character (the ``zh`` char segmenter), which NER on character-level spans handles.
- Korean (``ko``, needs ``mecab-ko``), Vietnamese (``vi``, needs ``pyvi``) and codes spaCy does not know: the
  language-neutral ``xx`` tokenizer (both write spaces between words).

``DocMaker.fallbacks`` records which languages fell back and why (the package to install for real word
segmentation is named in the reason).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from nerspec.chunking import tokenize_bounded
from nerspec.languages import base, is_valid

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc

# Written without spaces between words: a whitespace tokenizer would make one token per sentence.
UNSPACED = {"zh", "ja", "th", "lo", "km", "my", "bo"}
MULTI = "xx"


class DocMaker:
    """``maker(text, language)`` -> a ``Doc`` in ``nlp``'s vocabulary, tokenized for ``language``.

    For a pipeline that is not multilingual (``nlp.lang != "xx"``) this is just ``nlp.make_doc``.
    """

    def __init__(self, nlp: Language, default_language: str | None = None) -> None:
        self.nlp = nlp
        self.multilingual = nlp.lang == MULTI
        self.default = base(default_language) if default_language else MULTI
        self._tokenizers: dict[str, Tokenizer | None] = {}
        self.fallbacks: dict[str, str] = {}

    def __call__(self, text: str, language: str | None = None) -> Doc:
        if not self.multilingual:
            return tokenize_bounded(self.nlp.vocab, self.nlp.tokenizer, text) or self.nlp.make_doc(text)
        # Only well-formed codes reach spacy.blank (a request's language is untrusted input); the cache stays
        # bounded because spaCy knows few languages and unknown ones cache ``None``.
        code = base(language) if language and is_valid(language) else self.default
        tokenizer = self._tokenizer(code)
        if tokenizer is None:
            return tokenize_bounded(self.nlp.vocab, self.nlp.tokenizer, text) or self.nlp.make_doc(text)
        bounded = tokenize_bounded(self.nlp.vocab, tokenizer, text)  # a pathologically long run: in pieces
        if bounded is not None:
            return bounded
        from spacy.tokens import Doc

        tokens = tokenizer(text)
        return Doc(self.nlp.vocab, words=[t.text for t in tokens], spaces=[bool(t.whitespace_) for t in tokens])

    def _tokenizer(self, code: str) -> Tokenizer | None:
        """The tokenizer for ``code`` (``None``: the pipeline's own ``xx`` tokenizer)."""
        if code in self._tokenizers:
            return self._tokenizers[code]
        tokenizer = None
        if code != MULTI:
            import spacy

            try:
                tokenizer = spacy.blank(code).tokenizer
            except Exception as exc:  # ImportError for an optional package, or a code spaCy does not know
                reason = str(exc).split("\n")[0][:200]
                if code in UNSPACED:
                    tokenizer = spacy.blank("zh").tokenizer  # one token per character
                    self.fallbacks[code] = f"one token per character ({reason})"
                else:
                    self.fallbacks[code] = f"language-neutral tokenizer ({reason})"
        self._tokenizers[code] = tokenizer
        return tokenizer


_MAKERS: weakref.WeakKeyDictionary[Language, DocMaker] = weakref.WeakKeyDictionary()


def maker_for(nlp: Language) -> DocMaker:
    """One ``DocMaker`` per pipeline (its tokenizers are built once)."""
    maker = _MAKERS.get(nlp)
    if maker is None:
        maker = _MAKERS[nlp] = DocMaker(nlp)
    return maker


def docs(maker: DocMaker, texts: list[str], languages: list[str | None] | None) -> list[Doc]:
    langs = languages if languages is not None else [None] * len(texts)
    return [maker(text, lang) for text, lang in zip(texts, langs, strict=True)]
