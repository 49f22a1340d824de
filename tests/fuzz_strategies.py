"""Hypothesis strategies for hostile input: JSON values with the numbers and strings that broke nerspec before
(``Infinity``, ``1e400``, 5,000-digit integers, lone surrogates, invisible characters), data records of every JSON
format, manifests and server requests. Shared by the fuzz tests of ``corpus``, ``manifest``, ``extract`` and
``serve``; each test keeps ``max_examples`` modest so the suite stays fast.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Raw JSON tokens for numbers Python's json accepts but nerspec must refuse or bound.
HOSTILE_NUMBERS = ["Infinity", "-Infinity", "NaN", "1e400", "-1e400", "1" + "0" * 5000, "0.5", "-1", "1e-400",
                   "2147483648", "9" * 41, "true", "false", "null", '"0"', '"5"', "[]", "{}"]
HOSTILE_STRINGS = ["", " ", "\\ud800", "\\udfff", "a\\ud800b", "P\\u200bER", "\\u0000", "\\u202e", "Cafe\\u0301",
                   "x" * 300, "../etc", "\\n", "PER", "😀", "\\u2028"]


def json_string(text: str) -> str:
    """A JSON string literal of ``text`` whose ``\\uXXXX`` escapes are kept as written (lone surrogates too)."""
    return '"' + text.replace('"', '\\"') + '"'


scalars = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_STRINGS).map(json_string),
    st.integers(-3, 40).map(str),
    st.text(max_size=8).map(lambda t: json.dumps(t)),
)


def json_values(depth: int = 3) -> st.SearchStrategy[str]:
    """Raw JSON texts (not Python values: ``Infinity`` and ``\\ud800`` must reach the parser as written)."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
            st.dictionaries(st.sampled_from(["id", "text", "start", "end", "label", "spans", "labels", "x"]), inner,
                            max_size=4).map(lambda d: "{" + ", ".join(f'"{k}": {v}' for k, v in d.items()) + "}"),
        ),
        max_leaves=8,
    )


def _field(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return value.map(lambda v: f'"{name}": {v}')


def _object(*fields: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*fields).map(lambda parts: "{" + ", ".join(parts) + "}")


offset = st.one_of(st.integers(0, 12).map(str), scalars)
label = st.one_of(st.just('"PER"'), scalars)
text = st.one_of(st.just('"Alice went home."'), scalars)
span_list = st.lists(st.tuples(offset, offset, label).map(lambda t: f"[{t[0]}, {t[1]}, {t[2]}]"), max_size=3)
span_dicts = st.lists(_object(_field("start", offset), _field("end", offset), _field("label", label)), max_size=3)

# One record per JSON-lines format, in that format's shape, with hostile values in every field.
records = {
    "jsonl": _object(_field("id", scalars), _field("text", text),
                     _field("spans", st.one_of(span_list, span_dicts).map(lambda s: "[" + ", ".join(s) + "]"))),
    "doccano": _object(_field("id", scalars), _field("text", text),
                       _field("label", span_list.map(lambda s: "[" + ", ".join(s) + "]"))),
    "prodigy": _object(_field("text", text), _field("meta", _object(_field("id", scalars), _field("language", scalars))),
                       _field("spans", span_dicts.map(lambda s: "[" + ", ".join(s) + "]")),
                       _field("answer", st.sampled_from(['"accept"', '"reject"', "1"]))),
}
labelstudio_task = _object(
    _field("id", scalars),
    _field("data", _object(_field("text", text), _field("id", scalars), _field("language", scalars))),
    _field("annotations", _object(_field("result", st.lists(_object(
        _field("type", st.just('"labels"')),
        _field("value", _object(_field("start", offset), _field("end", offset), _field("text", scalars),
                                _field("labels", st.lists(label, max_size=2).map(lambda s: "[" + ", ".join(s) + "]")))),
    ), max_size=3).map(lambda s: "[" + ", ".join(s) + "]"))).map(lambda a: f"[{a}]")),
)


# One document of an analyze request or an extract input line: hostile ids, texts and languages.
document = _object(_field("id", scalars), _field("text", text), _field("language", scalars))


def request_documents() -> st.SearchStrategy[str]:
    """The ``documents`` of an analyze request."""
    return st.lists(document, min_size=1, max_size=3).map(lambda d: "[" + ", ".join(d) + "]")


def any_json() -> st.SearchStrategy[Any]:
    return json_values()
