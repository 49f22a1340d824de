"""Context escaping for text that comes from data or manifests.

Every string a user controls (labels, document text, messages, reasons, ids) passes through one of these
before it reaches a report. GitHub renders comments in several passes (Markdown, then HTML sanitising, then
mention/issue-reference linking on the resulting text nodes), so one escape is not enough:

- Markdown structure (`|`, newlines, backticks, emphasis, links) is neutralised with backslash escapes;
- raw HTML (and with it `<!--`/`-->`, which could hide the report or break the hidden marker) with entities;
- mentions and issue references are linked *after* entity decoding, so entities do not help there: a zero-width
  space after `@`/`#` is the only thing that breaks the link without changing what a reader sees.

Pure functions, no imports beyond the standard library, so the command line can use them cheaply.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
MARKER = "<!-- nerspec-report -->"

# Characters with Markdown meaning anywhere in inline text (`$` starts GitHub math). `<`, `>` and `&` are
# handled as entities instead; `(`, `!` only matter next to `[`, which is escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$#])")
# Only at the start of a line (list items, headings, quotes, ordered lists, setext underlines).
_MD_LEADING = re.compile(r"^(\s*)([-+=](?=\s|$)|\d{1,9}(?=[.)](?:\s|$)))")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Bidirectional overrides and isolates reorder what a reviewer sees (U+202E makes `exe.txt` read `txt.exe`):
# they are flagged visibly as `[U+202E]` instead of being rendered.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# `@name`, `@org/team`; `#12`, `owner/repo#12`, `GH-12`: GitHub links these in text nodes.
_MENTION = re.compile(r"@(?=[\w-])")
_ISSUE_REF = re.compile(r"#(?=\w)")
_GH_REF = re.compile(r"\b(GH)-(?=\d)", re.IGNORECASE)


def flag_bidi(text: str) -> str:
    return _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


# What a terminal acts on rather than shows: C0 controls (ESC starts colour, cursor and screen-clearing sequences),
# DEL, C1 controls (U+009B is a one-character CSI) and the line and paragraph separators.
_TERMINAL_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def terminal(value: object) -> str:
    """One line for a terminal or log: every control character shown as its escape (``\\x1b``, ``\\n``) and
    bidirectional overrides flagged, so text from data can neither restyle, move the cursor, clear the screen,
    nor start what reads as a line of its own (``file:1:1: ...``)."""
    text = str(value)
    if text.isprintable():  # the common case (non-ASCII letters included) costs one scan
        return text
    return flag_bidi(_TERMINAL_CONTROL.sub(_control_escape, text))


def _control_escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED_CONTROLS.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _one_line(text: str) -> str:
    text = flag_bidi(_CONTROL.sub("", text))
    return _NEWLINES.sub(" ", text).replace("\t", " ")


def _unlink(text: str) -> str:
    text = _MENTION.sub("@" + ZWSP, text)
    text = _ISSUE_REF.sub("#" + ZWSP, text)
    return _GH_REF.sub(lambda m: m.group(1) + "-" + ZWSP, text)


def md_text(value: object) -> str:
    """Inline Markdown text, safe in a table cell, a list item, a heading or a `<summary>`."""
    text = _one_line(str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LEADING.sub(lambda m: m.group(1) + ("\\" + m.group(2) if not m.group(2).isdigit() else m.group(2) + "\\"), text)
    return _unlink(text)


def md_code(value: object) -> str:
    """An inline code span (for ids, fingerprints, paths) that stays inside a table cell.

    Inside a code span Markdown and mentions are inert, but GitHub still splits table rows on `|` (escaped
    as `\\|` it renders as a pipe), and a backtick run would close the span early, so the fence is made longer
    than any run in the text.
    """
    text = _one_line(str(value)).replace("|", "\\|")
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def mermaid_text(value: object, limit: int = 24) -> str:
    """A label for a Mermaid chart: Mermaid strings cannot escape quotes, so anything unusual is replaced."""
    text = re.sub(r"[^\w .,:/()+-]", "_", _one_line(str(value)))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text or "_"


def html_comment_safe(value: object) -> str:
    """Text allowed inside an HTML comment: it can neither close it nor open a nested one."""
    return str(value).replace("--", "- -").replace(">", "&gt;").replace("<", "&lt;")


def excerpt(text: str, start: int, end: int, width: int = 60) -> tuple[str, str, str]:
    """Context around ``text[start:end]`` as (before, match, after), cut at `width` characters each side."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    if start - width > 0:
        before = "…" + before
    if end + width < len(text):
        after = after + "…"
    return before, text[start:end], after
