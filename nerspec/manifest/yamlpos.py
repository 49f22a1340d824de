"""Safe YAML loading that remembers where every value came from.

PyYAML's ``SafeLoader`` composes a node tree with marks; we build plain Python values from it while
recording ``path -> (line, col)`` for every mapping key and value, so any later error (JSON Schema,
pydantic, cross-field rules, data checks) can point at the user's line. Duplicate keys are an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is much faster, and just as safe: it is still the safe constructor.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str | int, ...]


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
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_with_positions(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document safely; return its value and the positions of every node."""
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise YamlProblem(line, col, f"invalid YAML: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise YamlProblem(1, 1, f"invalid YAML: {exc}") from None
        positions = Positions()
        if root is None:
            return None, positions
        value = _build(loader, root, (), positions)
        return value, positions
    finally:
        loader.dispose()


_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


def _build(loader: Any, node: yaml.Node, path: Path_, positions: Positions) -> Any:
    positions.values[path] = _pos(node)
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
        # Collections are built here, not by the safe constructor, so refuse `!!python/...` tags ourselves.
        raise YamlProblem(*_pos(node), f"unsupported YAML tag `{node.tag}`")
    if isinstance(node, yaml.MappingNode):
        try:
            loader.flatten_mapping(node)  # resolves `<<` merge keys
        except yaml.MarkedYAMLError as exc:
            raise YamlProblem(*_pos(node), f"invalid YAML: {exc.problem}") from None
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(*_pos(key_node), "mapping keys must be plain scalars")
            key = str(key)
            if key in result:
                first = positions.keys[(*path, key)]
                raise YamlProblem(
                    *_pos(key_node), f"duplicate key `{key}` (first defined at line {first[0]})"
                )
            positions.keys[(*path, key)] = _pos(key_node)
            result[key] = _build(loader, value_node, (*path, key), positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, child, (*path, i), positions) for i, child in enumerate(node.value)]
    return _scalar(loader, node)


def _scalar(loader: Any, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlProblem(*_pos(node), "mapping keys must be plain scalars")
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        # The safe constructor refuses `!!python/...` and other unknown tags.
        raise YamlProblem(*_pos(node), f"unsupported YAML tag: {exc.problem}") from None
