"""Each format ``nerspec label`` writes drafts in has one writer, and the CLI offers exactly those formats."""

from __future__ import annotations

from nerspec.corpus.formats import names
from nerspec.label.drafts import DRAFT_WRITERS


def test_every_drafts_format_has_a_writer_and_no_other() -> None:
    assert sorted(DRAFT_WRITERS) == sorted(names("drafts"))


def test_the_cli_choices_are_the_tables() -> None:
    from nerspec.commands.label import _DRAFT_CHOICES

    assert sorted(_DRAFT_CHOICES) == sorted(DRAFT_WRITERS)
