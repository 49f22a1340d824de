"""Checked readers for the values of records nerspec did not write: offsets, ids, names and text.

One rule per kind of value, used by every data format, extract and the server, so that no input is silently
changed on its way in: ``int(0.5)``, ``int("5")`` and ``int(True)`` used to turn ``[0.5, 5]``, ``["0", "5"]`` and
``[false, true]`` into valid offsets, ``str(["a"])`` made the id ``"['a']"``, and two spellings of ``Café``
(NFC, NFD) were two labels. Each reader returns the value or raises ``ValueError`` with a message that names the
field; the caller locates it (``file:line:col``, a 400 response, an error record).
"""

from __future__ import annotations

import unicodedata

# Offsets index texts of at most a few hundred thousand characters; a larger integer is damage, not a position.
MAX_OFFSET = 2**31 - 1


def integer(value: object, what: str, *, minimum: int | None = 0, maximum: int = MAX_OFFSET) -> int:
    """``value`` when it is a JSON integer within bounds; never a bool, float or numeric string."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"`{what}` must be an integer, not {_shown(value)}")
    if (minimum is not None and value < minimum) or value > maximum:
        low = "" if minimum is None else f"{minimum} to "
        raise ValueError(f"`{what}` must be an integer from {low}{maximum}, not {_shown(value)}")
    return value


def offsets(start: object, end: object) -> tuple[int, int]:
    """A span's ``start`` and ``end``: integers (their order and range are the data checks' to judge)."""
    return integer(start, "start", minimum=None), integer(end, "end", minimum=None)


def document_id(value: object, what: str = "id") -> str:
    """A document id: a non-empty string, or an integer where the format allows one (doccano, Prodigy)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"`{what}` must be a string or an integer, not {_shown(value)}")
    if not value:
        raise ValueError(f"`{what}` must not be empty")
    return value


def text(value: str, what: str) -> str:
    """``value`` when it can be written as UTF-8 (no unpaired surrogate such as ``\\ud800``)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            shown = what.encode("utf-8", "backslashreplace").decode("utf-8")  # the name may hold one too (a key)
            raise ValueError(f"`{shown}` contains an unpaired surrogate (U+{ord(value[exc.start]):04X})") from None
    return value


def strings_problem(value: object, where: str = "", judged_later: frozenset[str] = frozenset()) -> str | None:
    """Why some string inside ``value`` (keys included, at any depth) cannot be used, or None: the server's edge
    check of a whole request body. Strings under a key in ``judged_later`` are left to their own check (a document's
    ``text`` is a per-document error, as the reference answers)."""
    stack: list[tuple[object, str]] = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str) and at.rsplit(".", 1)[-1] in judged_later:
            continue
        if isinstance(item, str):
            try:
                text(item, at or "value")
            except ValueError as exc:
                return str(exc)
        elif isinstance(item, dict):
            stack.extend((key, f"{at}.{key}" if at else "key") for key in item)
            stack.extend((child, f"{at}.{key}" if at else str(key)) for key, child in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{at}[{n}]") for n, child in enumerate(item))
    return None


# Format characters (zero-width space, joiners, bidi marks) and other invisibles make two names look equal.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def label_name(value: object, what: str = "label") -> str:
    """An entity type or class name in NFC, so ``Café`` typed either way is one label; blank names and names with
    invisible characters (``P\\u200bER``) are refused."""
    if not isinstance(value, str):
        raise ValueError(f"`{what}` must be a string, not {_shown(value)}")
    name = unicodedata.normalize("NFC", text(value, what))
    problem = name_problem(name)
    if problem:
        raise ValueError(f"`{what}` {problem}")
    return name


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a label (blank, invisible characters, spaces at an edge), or None."""
    if not name.strip():
        return "must not be blank"
    if name != name.strip():
        return f"must not start or end with a space ({name!r})"
    for char in name:
        if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
            return f"contains the invisible character U+{ord(char):04X} ({name!r})"
    return None


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name) if not name.isascii() else name


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 20 else value[:20] + "…")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**24 else "a huge integer"
    if isinstance(value, float):
        return repr(value)
    return "an object" if isinstance(value, dict) else f"a {type(value).__name__}"
