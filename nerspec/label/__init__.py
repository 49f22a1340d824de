"""The labeling loop: which documents to label next (``next``), model drafts to review (``drafts``).

Core only: nothing here prints or exits; ``nerspec/commands/label.py`` is the thin command layer.
"""
