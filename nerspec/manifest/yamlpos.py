"""Safe YAML loading that remembers where every value came from.

PyYAML's ``SafeLoader`` composes a node tree with marks; we build plain Python values from it while
recording ``path -> (line, col)`` for every mapping key and value, so any later error (JSON Schema,
pydantic, cross-field rules, data checks) can point at the user's line. Duplicate keys are an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TypeAlias

import yaml

try:  # libyaml is much faster, and just as safe: it is still the safe constructor.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]
# A value the safe loader builds: JSON's, plus dates and timestamps (``2024-01-01``) and binary (``!!binary``).
YamlValue: TypeAlias = None | bool | int | float | str | date | bytes | list["YamlValue"] | dict[str, "YamlValue"]

MAX_NODES = 20_000  # a large manifest has a few thousand values; alias expansion may not go beyond this
MAX_DEPTH = 64
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
# What the values may add up to once aliases are expanded: a manifest without aliases is at most
# MAX_MANIFEST_BYTES, so twice that leaves room for honest reuse and stops 2,000 aliases of a 1 MB description.
MAX_EXPANDED_CHARS = 2 * MAX_MANIFEST_BYTES
MAX_INTEGER_DIGITS = 40  # as in nerspec.strict_json: no count or seed is longer


@dataclass
class Positions:
    """1-based (line, col) of each value and, for mapping entries, of each key."""

    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def of_value(self, path: Path_) -> tuple[int, int]:
        """The closest recorded position: the value itself or its nearest ancestor."""
        for i in range(len(path), -1, -1):
            if path[:i] in self.values:
                return self.values[path[:i]]
        return (1, 1)

    def of_key(self, path: Path_) -> tuple[int, int]:
        return self.keys.get(path) or self.of_value(path)


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str, path: Path_ | None = None) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message
        self.path = path  # the field the value is for, when the problem is one value's


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_with_positions(text: str) -> tuple[YamlValue, Positions]:
    """Parse one YAML document safely; return its value and the positions of every node."""
    if len(text) > MAX_MANIFEST_BYTES:
        raise YamlProblem(1, 1, f"manifest is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
    depth = _nesting_depth(text)
    if depth is not None:
        raise YamlProblem(*depth, f"nesting deeper than {MAX_DEPTH} levels")
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise YamlProblem(line, col, f"invalid YAML: {exc.problem or exc}") from None
        except yaml.reader.ReaderError as exc:  # a control character: where it is, not `position 59` on a second line
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            line = text.count("\n", 0, exc.position) + 1
            col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
            raise YamlProblem(line, col, f"invalid YAML: unacceptable character U+{code:04X} ({exc.reason})") from None
        except yaml.YAMLError as exc:
            raise YamlProblem(1, 1, f"invalid YAML: {exc}") from None
        positions = Positions()
        if root is None:
            return None, positions
        value = _Builder(loader, positions).build(root, ())
        return value, positions
    finally:
        loader.dispose()


_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


class _Builder:
    """Plain values from a composed node tree, counting every value built (aliases included)."""

    def __init__(self, loader: _Loader, positions: Positions) -> None:
        self.loader, self.positions = loader, positions
        self.built = 0
        self.chars = 0  # characters of the scalars built so far, each alias counted again
        self.active: set[int] = set()  # nodes being built on the current path: an alias to one is recursive
        self.seen: set[int] = set()  # collections built once: meeting one again means an alias
        self.merge_bounds: dict[int, int] = {}  # mapping node -> its keys with every `<<` expanded, at most

    def build(self, node: yaml.Node, path: Path_) -> YamlValue:
        self.built += 1
        if self.built > MAX_NODES:
            raise YamlProblem(
                *_pos(node), f"aliases expand to more than {MAX_NODES} values (a YAML alias bomb?); write the values out"
            )
        if id(node) in self.active:
            raise YamlProblem(*_pos(node), "recursive YAML alias")
        if len(path) > MAX_DEPTH:
            raise YamlProblem(*_pos(node), f"nesting deeper than {MAX_DEPTH} levels")
        self.positions.values[path] = _pos(node)
        if isinstance(node, yaml.ScalarNode):
            self.chars += len(node.value)
            if self.chars > MAX_EXPANDED_CHARS:
                raise YamlProblem(
                    *_pos(node), f"aliases expand to more than {MAX_EXPANDED_CHARS // (1024 * 1024)} MiB of text "
                    "(a YAML alias bomb?); write the values out",
                )
            try:
                return _scalar(self.loader, node)
            except YamlProblem as exc:
                exc.path = path
                raise
        if node.tag not in _COLLECTION_TAGS:
            # Collections are built here, not by the safe constructor, so refuse `!!python/...` tags ourselves.
            raise YamlProblem(*_pos(node), f"unsupported YAML tag `{node.tag}`")
        self.active.add(id(node))
        self.seen.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            return [self._element(child, (*path, i), node) for i, child in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def _element(self, child: yaml.Node, path: Path_, sequence: yaml.Node) -> YamlValue:
        # A manifest reuses blocks as mapping values (`training: *defaults`, `<<: *base`); a list or mapping
        # repeated inside a list is never needed, and it is how alias bombs multiply.
        if not isinstance(child, yaml.ScalarNode) and id(child) in self.seen:
            raise YamlProblem(
                *_pos(sequence), f"element [{path[-1]}] is an alias of a list or mapping; aliases are not allowed in lists"
            )
        return self.build(child, path)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, YamlValue]:
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE_TAG)
        # Bounded before PyYAML expands the merges: some of its releases copy every merged pair, repeats included.
        if _merge_bound(node, self.merge_bounds) > MAX_NODES:
            raise YamlProblem(*_pos(node), f"merge keys (`<<`) expanding to more than {MAX_NODES} keys")
        try:
            self.loader.flatten_mapping(node)  # resolves `<<` merge keys: the merged pairs go first
        except yaml.MarkedYAMLError as exc:
            raise YamlProblem(*_pos(node), f"invalid YAML: {exc.problem}") from None
        if len(node.value) > MAX_NODES:
            raise YamlProblem(*_pos(node), f"a mapping with more than {MAX_NODES} keys")
        merged = len(node.value) - explicit
        result: dict[str, YamlValue] = {}
        own: set[str] = set()
        positions = self.positions
        for index, (key_node, value_node) in enumerate(node.value):
            key = _scalar(self.loader, key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(*_pos(key_node), "mapping keys must be plain scalars")
            key = str(key)
            # A key written here overrides a merged one (what `<<: *base` is for; it was refused as a duplicate);
            # written twice here, it is a mistake.
            if key in own:
                first = positions.keys[(*path, key)]
                raise YamlProblem(
                    *_pos(key_node), f"duplicate key `{key}` (first defined at line {first[0]})"
                )
            if index >= merged:
                own.add(key)
            positions.keys[(*path, key)] = _pos(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _merge_bound(node: yaml.MappingNode, bounds: dict[int, int]) -> int:
    """How many keys ``node`` has once its merge keys are expanded, counting repeats (an upper bound: PyYAML
    releases differ on whether a key merged twice is kept twice). Each node is counted once (``bounds``), so
    a chain of mappings each merging the previous one several times costs its length, not its expansion."""
    if id(node) in bounds:
        return bounds[id(node)]
    total = 0
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE_TAG:
            total += 1
            continue
        merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        total += sum(_merge_bound(m, bounds) for m in merged if isinstance(m, yaml.MappingNode))
        if total > MAX_NODES:
            break
    bounds[id(node)] = total
    return total


def _nesting_depth(text: str) -> tuple[int, int] | None:
    """(line, col) where flow brackets nest deeper than ``MAX_DEPTH``, before any parser recurses into them.

    A cheap over-approximation (brackets inside quoted strings count too): a real manifest nests a handful
    of levels, so only hostile input comes near the bound.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    line, col = 1, 0
    for char in text:
        col += 1
        if char == "\n":
            line, col = line + 1, 0
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, col
        elif char in "]}":
            depth = max(depth - 1, 0)
    return None


def _scalar(loader: _Loader, node: yaml.Node) -> YamlValue:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlProblem(*_pos(node), "mapping keys must be plain scalars")
    if node.tag == "tag:yaml.org,2002:int" and len(node.value.lstrip("+-")) > MAX_INTEGER_DIGITS:
        # Python refuses to convert more than 4,300 digits (a ValueError the constructor lets through).
        raise YamlProblem(*_pos(node), f"an integer of more than {MAX_INTEGER_DIGITS} digits")
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        # The safe constructor refuses `!!python/...` and other unknown tags.
        raise YamlProblem(*_pos(node), f"unsupported YAML tag: {exc.problem}") from None
    except (ValueError, OverflowError) as exc:  # a timestamp or number the constructor cannot represent
        raise YamlProblem(*_pos(node), f"unreadable value `{node.value[:40]}`: {exc}") from None
