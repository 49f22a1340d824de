"""Hostile strings from data and manifests must render inert in every context."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from nerspec.escape import ZWSP, md_code, md_text, mermaid_text, terminal
from nerspec.report import MARKER, render
from tests.report.runs import load_fixture

HOSTILE = "<script>alert(1)</script> | x\n```\n# head\n@org/team #12 GH-7 --> <!-- nerspec-report --> `b` $x$ [l](http://e)"


def hostile_run() -> dict:
    run = load_fixture("ner_baseline")
    project = run["projects"][0]
    project["name"] = "evil " + HOSTILE
    project["plan"]["actions"][0]["reasons"] = [HOSTILE]
    project["lint"][0]["message"] = HOSTILE
    project["lint"][0]["doc_id"] = "doc|`id`\n"
    project["gates"]["results"][0]["message"] = HOSTILE
    project["gates"]["passed"] = False
    project["gates"]["results"][0]["passed"] = False
    ev = project["evaluation"]
    ev["guidance"][0]["message"] = HOSTILE
    # A hostile entity type name everywhere a label appears.
    bad = "PER|<b>@x</b>\n```"
    for evaluation in (ev, project["baseline"]["evaluation"]):
        evaluation["per_entity"][bad] = evaluation["per_entity"].pop("PER")
        evaluation["confusion_matrix"]["labels"][0] = bad
        evaluation["ci"]["per_label_f1"][bad] = evaluation["ci"]["per_label_f1"].pop("PER")
        for side in ("train", "test"):
            evaluation["data"][side]["labels"][bad] = evaluation["data"][side]["labels"].pop("PER")
    project["model"]["labels"][0] = bad
    doc = ev["documents"][0]
    doc["text"] = HOSTILE + " " + doc["text"]
    shift = len(HOSTILE) + 1
    for span in doc["gold"] + doc["predicted"]:
        span["start"] += shift
        span["end"] += shift
    doc["gold"].append({"start": 0, "end": 17, "label": bad})
    return run


def _table_widths(text: str) -> None:
    """Every row of a Markdown table has as many unescaped cell separators as its header."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("| ---"):
            width = len(re.findall(r"(?<!\\)\|", lines[i]))
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", lines[j])) == width, lines[j]
                j += 1
            i = j
        else:
            i += 1


def test_markdown_is_inert() -> None:
    text = render(hostile_run(), "md")
    assert text.startswith(MARKER + "\n")
    # Mermaid's own axis syntax (`0 --> 1`) sits in fenced blocks that data cannot open or close.
    prose = re.sub(r"```mermaid\n.*?\n```", "", text, flags=re.S)
    assert prose.count("<!--") == 1 and prose.count("-->") == 1  # only the marker itself
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;" in text
    assert "@org" not in text and f"@{ZWSP}org/team" in text
    assert "#12" not in text and "GH-7" not in text
    fences = [line for line in text.splitlines() if line.lstrip().startswith("```")]
    assert set(fences) <= {"```mermaid", "```"} and fences.count("```mermaid") == fences.count("```")
    assert not [line for line in text.splitlines() if line.startswith("# head") or line.startswith("\\# head")]
    assert "$x$" not in text and not re.search(r"(?<!\\)\]\(http", text)
    _table_widths(text)


def test_html_is_inert() -> None:
    text = render(hostile_run(), "html")
    assert "<script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>@x</b>" not in text and "&lt;b&gt;@x&lt;/b&gt;" in text
    assert text.count("-->") == 0 or "--&gt;" in text
    assert "<!-- nerspec-report -->" not in text


def test_json_keeps_raw_strings() -> None:
    import json

    view = json.loads(render(hostile_run(), "json"))
    assert view["projects"][0]["name"] == "evil " + HOSTILE


def test_code_spans_survive_backticks_and_pipes() -> None:
    assert md_code("a`b") == "``a`b``" or md_code("a`b") == "`` a`b ``"
    assert md_code("x|y") == "`x\\|y`"
    assert "\n" not in md_code("a\nb")


def test_mermaid_labels_cannot_close_strings_or_fences() -> None:
    label = mermaid_text('a"b```\n]c')
    assert '"' not in label and "`" not in label and "]" not in label and "\n" not in label


@given(st.text())
def test_md_text_never_breaks_structure(value: str) -> None:
    out = md_text(value)
    assert "\n" not in out and "\r" not in out
    assert "<" not in out and ">" not in out
    assert not re.search(r"(?<!\\)[|`*_\[\]]", out.replace("\\\\", ""))
    assert not re.search(r"@(?!\u200b)[\w-]", out)
    assert not re.search(r"#(?!\u200b)\w", out)


def test_bidi_overrides_are_flagged_not_rendered() -> None:
    hostile = "invoice\u202etxt.exe \u2066x\u2069"
    for escaped in (md_text(hostile), md_code(hostile)):
        assert "\u202e" not in escaped and "\u2066" not in escaped and "\u2069" not in escaped
        assert "U+202E" in escaped and "U+2066" in escaped
    run = hostile_run()
    run["projects"][0]["name"] = "evil\u202eproject"
    for fmt in ("md", "html"):
        assert "\u202e" not in render(run, fmt)


def test_terminal_shows_control_characters_and_flags_bidi_but_keeps_text() -> None:
    assert terminal("Zoë 北京 😀 plain") == "Zoë 北京 😀 plain"
    assert terminal("a\x1b[2Jb\x9b1m\x85\x00\x7f") == "a\\x1b[2Jb\\x9b1m\\x85\\x00\\x7f"
    assert terminal("x\ny\r\tz\u2028") == "x\\ny\\r\\tz\\u2028"
    assert terminal("exe.\u202etxt") == "exe.[U+202E]txt"

