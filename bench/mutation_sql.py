"""Find the mutants that only change the letter case of SQL text in a string (issue 20).

mutmut turns every string literal into its lower- and upper-case forms. In a SQL statement
that changes nothing: SQLite's and DuckDB's keywords, function names and identifiers are
case-insensitive, so `"SELECT id FROM message WHERE id=?"` -> `"select id from message where
id=?"` is an equivalent mutant no test can kill. bench/mutation.py drops those mutants
before the run (they are counted as filtered, not as killed) for the modules in SQL_MODULES.

The filter is conservative; a mutant is dropped only when all of these hold:

- the original and the mutated function differ in exactly one string (a plain literal or an
  f-string's literal text; implicitly concatenated pieces count as one string), and are
  otherwise the same syntax tree;
- that string is SQL: it starts, after blanks and opening brackets, with an upper-case SQL
  keyword (`SELECT`, `INSERT`, `WHERE`, `AND` ...). A status value (`"queued"`), a message
  (`"retention of ..."`) or a bare identifier (`"history"`) is not, and stays a mutant;
- the two differ only in the case of ASCII letters, and not inside a quoted part (`'queued'`,
  `"col"`, `` `col` ``, `[col]`: a value, or an identifier the filter does not reason about)
  or a named parameter (`:name`, `@name`, `$name`: bound by exact name).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

# the first word of a SQL statement or of a clause a statement is built from
SQL_START = re.compile(
    r"\s*\(*\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|PRAGMA|BEGIN|COMMIT|"
    r"ROLLBACK|SAVEPOINT|RELEASE|REPLACE|VALUES|FROM|WHERE|AND|OR|SET|JOIN|LEFT|INNER|ON|"
    r"USING|ORDER\s+BY|GROUP\s+BY|HAVING|LIMIT|OFFSET|RETURNING|UNION|EXCEPT|INTERSECT|"
    r"ATTACH|DETACH|VACUUM|ANALYZE|EXPLAIN)(?![A-Za-z0-9_])"
)
# parts whose case must not change: quoted values and identifiers, named parameters
_PROTECTED = re.compile(
    r"'(?:[^']|'')*(?:'|$)"  # 'value' ('' escapes; unterminated: to the end)
    r'|"(?:[^"]|"")*(?:"|$)'  # "identifier"
    r"|`[^`]*(?:`|$)"  # `identifier`
    r"|\[[^\]]*(?:\]|$)"  # [identifier]
    r"|[:@$][A-Za-z_][A-Za-z0-9_]*"  # :name, @name, $name
)
# stands for an f-string's replacement field in the text compared
_FIELD = "\x00"


def is_sql(text: str) -> bool:
    """Whether a string's text reads as SQL (starts with an upper-case SQL keyword)."""
    return SQL_START.match(text) is not None


def case_only_sql_change(original: str, mutated: str) -> bool:
    """Whether `mutated` is SQL `original` with only the case of unquoted letters changed."""
    if original == mutated or len(original) != len(mutated) or not is_sql(original):
        return False
    protected = [False] * len(original)
    for m in _PROTECTED.finditer(original):
        for i in range(m.start(), m.end()):
            protected[i] = True
    for i, (a, b) in enumerate(zip(original, mutated, strict=True)):
        if a == b:
            continue
        if protected[i] or not (a.isascii() and a.isalpha() and a.lower() == b.lower()):
            return False
    return True


def _is_string(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _string_text(node: ast.AST) -> tuple[str, list[ast.AST]]:
    """A string node's literal text (replacement fields as _FIELD) and its replacement fields."""
    if isinstance(node, ast.Constant):
        return str(node.value), []
    assert isinstance(node, ast.JoinedStr)
    parts: list[str] = []
    fields: list[ast.AST] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        else:
            parts.append(_FIELD)
            fields.append(value)
    return "".join(parts), fields


def _compare(a: object, b: object, changed: list[tuple[str, str]]) -> bool:
    """Whether two trees are the same but for strings; collects the differing strings."""
    if isinstance(a, ast.AST) and isinstance(b, ast.AST):
        if _is_string(a) and _is_string(b) and type(a) is type(b):
            text_a, fields_a = _string_text(a)
            text_b, fields_b = _string_text(b)
            if len(fields_a) != len(fields_b):
                return False
            if text_a != text_b:
                changed.append((text_a, text_b))
            return all(_compare(x, y, changed) for x, y in zip(fields_a, fields_b, strict=True))
        if type(a) is not type(b):
            return False
        return all(_compare(getattr(a, f), getattr(b, f), changed) for f in a._fields)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_compare(x, y, changed) for x, y in zip(a, b, strict=True))
    return a == b


def case_only_sql_mutant(original: ast.FunctionDef, mutant: ast.FunctionDef) -> bool:
    """Whether a mutant function differs from its original only by the case of SQL text."""
    changed: list[tuple[str, str]] = []
    same = _compare(original.args, mutant.args, changed) and _compare(
        original.body, mutant.body, changed
    )
    same = same and _compare(original.decorator_list, mutant.decorator_list, changed)
    same = same and _compare(original.returns, mutant.returns, changed)
    return same and len(changed) == 1 and case_only_sql_change(*changed[0])


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    out: dict[str, ast.FunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[item.name] = item
    return out


def case_only_sql_mutants(mutated_source: str, keys: Iterable[str]) -> set[str]:
    """The mutant keys (`pkg.module.x_fn__mutmut_3`) of a mutmut-generated file to drop."""
    functions = _functions(ast.parse(mutated_source))
    out: set[str] = set()
    for key in keys:
        name = key.rpartition(".")[2]
        base, sep, _ = name.rpartition("__mutmut_")
        original = functions.get(base + sep + "orig")
        mutant = functions.get(name)
        if original is not None and mutant is not None and case_only_sql_mutant(original, mutant):
            out.add(key)
    return out


def case_only_sql_mutants_of_file(mutated_file: Path, keys: Iterable[str]) -> set[str]:
    """case_only_sql_mutants of a file under mutmut's `mutants/` directory."""
    return case_only_sql_mutants(mutated_file.read_text("utf-8"), keys)
