"""YAML reading that remembers the line of every value, for error messages."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's parser (PyYAML's C binding) keeps the same marks and is ~10x faster than the
# pure-Python one, which dominated loading the rules (a reload in every worker).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlDocument:
    """A parsed YAML file: plain data plus the node tree to look lines up in.

    Pickled (engine.ruleset.cache) as its text alone, and parsed again only if a line is
    asked for: the node tree is most of a compiled ruleset's pickle and rarely needed.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._parse_text()

    def _parse_text(self) -> None:
        text = self._text
        try:
            self._parse(text, _Loader)
        except yaml.YAMLError:
            # errors are rare: re-read with the pure-Python parser, whose messages
            # ("expected <block end>, but found ...") the error texts are written around
            self._parse(text, yaml.SafeLoader)

    def _parse(self, text: str, loader_class: Any) -> None:
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            self.node: yaml.Node | None = node
            self.data: Any = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()

    def __getstate__(self) -> dict[str, Any]:
        return {"_text": self._text}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._text = state["_text"]

    def __getattr__(self, name: str) -> Any:
        if name in ("node", "data") and "_text" in self.__dict__:  # unpickled: parse now
            self._parse_text()
            return self.__dict__[name]
        raise AttributeError(name)

    def line_of(self, *path: str | int) -> int | None:
        """1-based line of the value at ``path`` (keys and indices), or of its nearest parent."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def duplicate_keys(self, *path: str | int) -> list[tuple[str, int]]:
        """Keys that appear twice in the mapping at ``path``, with the line of the repeat."""
        node = self.node
        for step in path:
            node = _child(node, step)
        if not isinstance(node, yaml.MappingNode):
            return []
        seen: set[str] = set()
        dups = []
        for key, _ in node.value:
            k = str(key.value)
            if k in seen:
                dups.append((k, key.start_mark.line + 1))
            seen.add(k)
        return dups


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(step):
                child: yaml.Node = value
                return child
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        item: yaml.Node = node.value[step]
        return item
    return None


def key_line(doc: YamlDocument, path: tuple[str | int, ...], key: str) -> int | None:
    """1-based line of the key ``key`` in the mapping at ``path``."""
    node = doc.node
    for step in path:
        node = _child(node, step)
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if str(k.value) == key:
                return int(k.start_mark.line) + 1
    return doc.line_of(*path)


def find_key_line(doc: YamlDocument, path: tuple[str | int, ...], key: str) -> int | None:
    """1-based line of the first mapping key ``key`` anywhere under ``path``."""
    start = doc.node
    for step in path:
        start = _child(start, step)
    stack = [start] if start is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == key:
                    return int(k.start_mark.line) + 1
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return doc.line_of(*path)
