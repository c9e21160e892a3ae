"""Reading chain files and turning what is wrong with them into messages people can act on.

Used by :mod:`chainwatch.atlas.chains`: YAML is read without number or date types (so codes
such as 0111 keep their leading zero), duplicate keys and the line of every value are recorded,
and problems found by the models or by the cross-field checks here are reported with file,
line, chain, segment and field.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chainwatch.errors import InputFileError
from chainwatch.errors import ValidationError as ChainwatchValidationError

# Field names people naturally type (Chinese, or the Python names of a flow's ends), mapped to
# the real ones for "did you mean"; used only where the real name is allowed.
FIELD_HINTS = {
    "环节": "segments",
    "名称": "name",
    "描述": "description",
    "阶段": "stage",
    "行业代码": "industry_codes",
    "关键词": "keywords",
    "排除关键词": "exclude_keywords",
    "海关编码": "hs_codes",
    "关键产品": "key_products",
    "卡脖子": "bottleneck",
    "流向": "flows",
    "来源": "sources",
    "source": "from",
    "target": "to",
    "供应方": "from",
    "需求方": "to",
}


class ChainLoader(yaml.SafeLoader):
    """Safe YAML without numbers or dates: codes such as 0111 or 3973 stay text as written."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicate_keys.append((key_node.start_mark.line + 1, key_node.value))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_TEXT_ONLY = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
ChainLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _TEXT_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# Where a value sits in the parsed file: ("segments", 2, "industry_codes", 0).
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: FieldPath
    message: str
    line: int | None = None


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"chain file {path} does not exist; check the path") from exc
    except OSError as exc:
        raise InputFileError(f"cannot read chain file {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"chain file {path} is not UTF-8 (byte {exc.start}); it may be GBK — save it as "
            "UTF-8 in your editor and try again"
        ) from exc


def parse_yaml(text: str, label: str) -> tuple[Any, dict[FieldPath, int], list[Problem]]:
    loader = ChainLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "unreadable"
        raise ChainwatchValidationError(
            f"{label} is not valid YAML",
            errors=[
                f"{label}{where}: {problem}; check the indentation (spaces, not tabs) and quote "
                "values that contain ':' or '#'"
            ],
        ) from exc
    finally:
        loader.dispose()
    problems = [
        Problem((), f"key {key!r} appears twice in one mapping; keep one", line)
        for line, key in loader.duplicate_keys
    ]
    return data, ({} if node is None else _line_numbers(node, ())), problems


def _line_numbers(node: yaml.Node, path: FieldPath) -> dict[FieldPath, int]:
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines.update(_line_numbers(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_numbers(item, (*path, index)))
    return lines


def from_pydantic(error: Any, allowed: dict[str, list[str]]) -> Problem:
    path: FieldPath = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    field = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        parent = next((str(p) for p in reversed(path[:-1]) if isinstance(p, str)), "")
        names = allowed.get(parent, [])
        hint_name = FIELD_HINTS.get(field)
        guess = (
            hint_name
            if hint_name in names
            else next(iter(difflib.get_close_matches(field, names, n=1, cutoff=0.6)), None)
        )
        hint = f"did you mean '{guess}'? " if guess else ""
        return Problem(path, f"unknown field '{field}'; {hint}allowed: {', '.join(names)}")
    if kind == "missing":
        return Problem(path, f"required field '{field}' is missing; add '{field}: …'")
    if kind == "value_error":
        return Problem(path, str(error["ctx"]["error"]))
    if kind == "string_type":
        return Problem(path, f"expected text, got {show(value)}; quote it if needed")
    if kind in ("bool_type", "bool_parsing"):
        return Problem(path, f"expected true or false, got {show(value)}")
    if kind in ("tuple_type", "list_type"):
        return Problem(
            path, f"expected a list ([a, b] or lines starting with '- '), got {show(value)}"
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return Problem(path, f"expected fields (key: value), got {show(value)}")
    return Problem(path, str(error["msg"]))


def show(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def cross_check(data: dict[str, Any]) -> list[Problem]:
    """Problems between fields, found on the raw data so they show up with the field errors."""
    problems: list[Problem] = []
    segments = _items(data.get("segments"))
    if "segments" in data and not segments:
        problems.append(Problem(("segments",), "the chain has no segments; add at least one"))
    first_at: dict[str, int] = {}
    names: dict[str, int] = {}
    for index, segment in enumerate(segments):
        if not isinstance(segment, dict):
            continue
        sid, name = segment.get("id"), segment.get("name")
        if isinstance(sid, str):
            if sid in first_at:
                problems.append(
                    Problem(
                        ("segments", index, "id"),
                        f"segment id '{sid}' is also used by segments[{first_at[sid]}]; "
                        "give each segment its own id",
                    )
                )
            first_at.setdefault(sid, index)
        if isinstance(name, str):
            if name in names:
                problems.append(
                    Problem(
                        ("segments", index, "name"),
                        f"segment name '{name}' is also used by segments[{names[name]}]",
                    )
                )
            names.setdefault(name, index)
        problems.extend(_check_segment_lists(segment, ("segments", index)))
    problems.extend(_check_flows(_items(data.get("flows")), first_at))
    return problems


def _check_segment_lists(segment: dict[str, Any], path: FieldPath) -> list[Problem]:
    problems: list[Problem] = []
    # A field of the wrong type is reported by the model; only truly absent rules count here.
    if all(segment.get(field) in (None, []) for field in ("industry_codes", "keywords")):
        problems.append(
            Problem(
                path,
                "the segment has neither industry_codes nor keywords, so no firm can be placed "
                "in it; add GB/T 4754 codes, product keywords or both",
            )
        )
    for field in ("industry_codes", "keywords", "exclude_keywords", "hs_codes"):
        values = [v for v in _items(segment.get(field)) if isinstance(v, str)]
        for value in sorted({v for v in values if values.count(v) > 1}):
            problems.append(Problem((*path, field), f"{value!r} is listed twice; keep one"))
    excluded = {v for v in _items(segment.get("exclude_keywords")) if isinstance(v, str)}
    for value in sorted(excluded & set(_items(segment.get("keywords")))):
        problems.append(
            Problem(
                (*path, "exclude_keywords"),
                f"{value!r} is both a keyword and an exclude keyword; remove it from one",
            )
        )
    return problems


def _check_flows(flows: list[Any], segment_ids: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    known = ", ".join(segment_ids) or "none"
    for index, flow in enumerate(flows):
        if not isinstance(flow, dict):
            continue
        ends = [flow.get("from"), flow.get("to")]
        for key, end in zip(("from", "to"), ends, strict=True):
            if isinstance(end, str) and segment_ids and end not in segment_ids:
                guess = difflib.get_close_matches(end, list(segment_ids), n=1)
                hint = f"did you mean '{guess[0]}'? " if guess else ""
                problems.append(
                    Problem(
                        ("flows", index, key),
                        f"'{end}' is not a segment of this chain; {hint}segments: {known}",
                    )
                )
        source, target = ends
        if not (isinstance(source, str) and isinstance(target, str)):
            continue
        if source == target:
            problems.append(
                Problem(
                    ("flows", index),
                    f"flow from '{source}' to itself; trade inside a segment needs no flow",
                )
            )
        elif (source, target) in seen:
            problems.append(
                Problem(
                    ("flows", index),
                    f"flow {source} → {target} repeats flows[{seen[(source, target)]}]; "
                    "keep one (notes can be combined)",
                )
            )
        seen.setdefault((source, target), index)
    return problems


def _describe(path: FieldPath, data: Any) -> str:
    """'chain 'ic', segment 'fab', field industry_codes[1]' for a path into the raw data."""
    parts: list[str] = []
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        parts.append(f"chain '{data['id']}'")
    rest = list(path)
    for container, noun in (("segments", "segment"), ("key_products", "key product")):
        if len(rest) >= 2 and rest[0] == container and isinstance(rest[1], int):
            items = _items(data.get(container)) if isinstance(data, dict) else []
            item = items[rest[1]] if rest[1] < len(items) else None
            label = (
                item.get("id" if noun == "segment" else "name") if isinstance(item, dict) else None
            )
            parts.append(
                f"{noun} '{label}'" if isinstance(label, str) else f"{container}[{rest[1]}]"
            )
            data, rest = item, rest[2:]
    if len(rest) >= 2 and rest[0] == "flows" and isinstance(rest[1], int):
        parts.append(f"flows[{rest[1]}]")
        rest = rest[2:]
    if rest:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
        parts.append(f"field {field}")
    return ", ".join(parts)


def format_problems(
    problems: list[Problem], label: str, data: Any, lines: dict[FieldPath, int]
) -> list[str]:
    """One message per problem, in the order of the file: 'FILE line N: chain …: what'."""
    located = sorted(((_line(p, lines), p) for p in problems), key=lambda item: item[0] or 0)
    messages = []
    for line, problem in located:
        where = f"{label} line {line}" if line else label
        described = _describe(problem.path, data)
        messages.append(f"{where}{': ' + described if described else ''}: {problem.message}")
    return messages


def _line(problem: Problem, lines: dict[FieldPath, int]) -> int | None:
    """The problem's own line, else that of the nearest enclosing value that has one."""
    if problem.line is not None:
        return problem.line
    path = problem.path
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)
