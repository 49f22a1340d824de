"""Scoring primitives over gold and predicted documents: precision/recall/F1, partial matches, confusions,
per-document review and error rows, per-language slices, bootstrap intervals and guidance. Pure functions of
``nerspec.corpus.model`` documents; the kinds (``nerspec.kinds``) pick theirs, and ``nerspec.evaluate`` assembles
the Evaluation from them."""
