"""Where each function of a source is, and compiling one function on its own.

A handler edit touches a few lines of one function. Parsing and compiling the
whole module to find that out costs time in proportion to the file: about 70 ms
for a 500-component Gradio app here, on every save. Instead the patch tier
compares the old and new text line by line, finds the one function whose lines
changed, and parses and compiles only that function, at its own line numbers
and in its own class, so its code object is the one a whole-module compile
would give. Functions below it only move: their code objects get new line
numbers (:func:`shifted`) so that tracebacks stay right.

Everything here is a pure function of source text; anything it cannot prove is
handed back as ``None`` and the patcher does the whole-module comparison.
"""

from __future__ import annotations
import __future__

import ast
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import CodeType

from reloader._parse import parse

__all__ = [
    "Def",
    "Layout",
    "changed_range",
    "compile_def",
    "layout_of",
    "lines_of",
    "same_code",
    "shifted",
]

_ACCESSORS = {"getter": "fget", "setter": "fset", "deleter": "fdel"}


@dataclass(frozen=True)
class Def:
    """A module-level function or a method of a module-level class, and its lines."""

    qualname: str
    owner: str | None  # the class name, for a method
    name: str
    accessor: str | None  # fget/fset/fdel for a property's functions
    #: 0-based index of its first line (the first decorator's) and one past its last.
    start: int = 0
    end: int = 0

    def moved(self, delta: int) -> Def:
        return replace(self, start=self.start + delta, end=self.end + delta)


@dataclass(frozen=True)
class Layout:
    """A source's functions in order, with their lines, and its ``__future__`` flags."""

    defs: tuple[Def, ...]
    compiler_flags: int
    #: 0-based first lines of the functions that are not in ``defs`` (lambdas, and
    #: functions under a module-level ``if``, ``for`` or ``try``): nothing can give
    #: their running code new line numbers, so an edit above them that adds or
    #: removes lines is not patched.
    untracked: tuple[int, ...] = ()

    def untracked_below(self, line: int) -> bool:
        return any(start >= line for start in self.untracked)

    def enclosing(self, first: int, last: int) -> int | None:
        """Index of the function whose lines hold the changed old lines ``[first, last)``.

        A pure insertion (``first == last``) just after a function's last line counts
        as the function's: compiling its new lines alone tells a longer body from a
        new statement after it (two statements: not one definition)."""
        for index, found in enumerate(self.defs):
            if found.start <= first and last <= found.end:
                return index
        return None

    def touches_a_function(self, first: int, last: int) -> bool:
        """Whether the changed old lines ``[first, last)`` overlap a function's lines
        (a pure insertion: whether it is inside or right beside one)."""
        for found in self.defs:
            if first == last:
                if found.start <= first <= found.end:
                    return True
            elif first < found.end and found.start < last:
                return True
        return False

    def after_edit(self, index: int, new_end: int, delta: int) -> Layout:
        """The layout once function ``index`` ends at ``new_end`` and later lines moved."""
        edited = self.defs[index]
        defs = [
            *self.defs[:index],
            replace(edited, end=new_end),
            *(found.moved(delta) for found in self.defs[index + 1 :]),
        ]
        moved = tuple(start + delta if start >= edited.end else start for start in self.untracked)
        return Layout(tuple(defs), self.compiler_flags, moved)


def lines_of(source: str) -> list[str]:
    """The source's lines with their ends. ``importlib.util.decode_source`` has made every
    line end ``\\n``; ``str.splitlines`` would also split at characters (form feed,
    U+2028) that Python's tokenizer does not count as line ends."""
    lines = source.split("\n")
    last = lines.pop()
    found = [line + "\n" for line in lines]
    if last:
        found.append(last)
    return found


def changed_range(old: Sequence[str], new: Sequence[str]) -> tuple[int, int, int] | None:
    """``(first, old_end, new_end)``: lines ``old[first:old_end]`` became
    ``new[first:new_end]`` and everything around them is the same; None if equal."""
    shortest = min(len(old), len(new))
    first = 0
    while first < shortest and old[first] == new[first]:
        first += 1
    if first == len(old) == len(new):
        return None
    same_tail = 0
    while same_tail < shortest - first and old[-1 - same_tail] == new[-1 - same_tail]:
        same_tail += 1
    return first, len(old) - same_tail, len(new) - same_tail


def same_code(old: Sequence[str], new: Sequence[str]) -> bool | None:
    """Whether two runs of lines hold the same tokens but for comments and layout;
    None where the lines alone cannot be tokenized (part of a string or bracket)."""

    def code(lines: Sequence[str]) -> list[tuple[int, str]] | None:
        try:
            tokens = tokenize.generate_tokens(io.StringIO("".join(lines)).readline)
            return [(t.type, t.string) for t in tokens if t.type not in _LAYOUT_TOKENS]
        except (tokenize.TokenError, SyntaxError):
            return None

    old_code, new_code = code(old), code(new)
    if old_code is None or new_code is None:
        return None
    return old_code == new_code


_LAYOUT_TOKENS = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


def module_level(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements, with those of its module-level ``with`` blocks (a
    function defined in ``with gr.Blocks() as demo:`` is a module-level function,
    as Gradio's docs write handlers), in source order."""
    found: list[ast.stmt] = []

    def add(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.With | ast.AsyncWith):
                add(statement.body)
            else:
                found.append(statement)

    add(tree.body)
    return found


def layout_of(tree: ast.Module) -> Layout:
    """The layout of a parsed module (its tree is only read)."""
    defs: list[Def] = []
    flags = 0
    for statement in module_level(tree):
        start, end = _lines(statement)
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                feature = getattr(__future__, alias.name, None)
                if feature is not None:
                    flags |= feature.compiler_flag
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.append(Def(statement.name, None, statement.name, None, start, end))
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    member_start, member_end = _lines(member)
                    defs.append(
                        Def(
                            f"{statement.name}.{member.name}",
                            statement.name,
                            member.name,
                            accessor_of(member),
                            member_start,
                            member_end,
                        )
                    )
    tracked = [(d.start, d.end) for d in defs]
    untracked = sorted(
        node.lineno - 1
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef)
        and not any(start <= node.lineno - 1 < end for start, end in tracked)
    )
    return Layout(tuple(defs), flags, tuple(untracked))


def accessor_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "property":
            return "fget"
        if isinstance(decorator, ast.Attribute) and decorator.attr in _ACCESSORS:
            return _ACCESSORS[decorator.attr]
    return None


def _lines(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", None) or []
    first = min([node.lineno, *(d.lineno for d in decorators)])
    end = node.end_lineno if node.end_lineno is not None else node.lineno
    return first - 1, end


@dataclass(frozen=True)
class CompiledDef:
    code: CodeType
    #: The definition with its body blanked (decorators, signature, name): equal
    #: skeletons mean only the body differs.
    skeleton: str
    #: One past its last line in the whole source.
    end: int


def compile_def(
    lines: Sequence[str], found: Def, filename: str, compiler_flags: int
) -> CompiledDef | None:
    """Compile ``lines`` (the function's text at ``found.start``) as the whole module would.

    A method is compiled inside a class of its owner's name, so its qualified name,
    private-name mangling and ``super()`` cell are the real ones. None if the lines
    are not exactly one definition of that name (an edit that left the function).
    """
    indented = bool(lines) and lines[0][:1] in (" ", "\t")
    if found.owner is None and not indented:
        padding = "\n" * found.start
    elif found.owner is None and found.start >= 1:
        # Inside a module-level `with` block: the same columns, one block deep (a
        # block may be indented by any amount).
        padding = "\n" * (found.start - 1) + "if True:\n"
    elif found.start >= 1:
        padding = "\n" * (found.start - 1) + f"class {found.owner}:\n"
    else:
        return None
    text = padding + "".join(lines)
    try:
        tree = parse(text, filename, compiler_flags)
        statements = tree.body
        if found.owner is not None:
            if len(statements) != 1 or not isinstance(statements[0], ast.ClassDef):
                return None
            statements = statements[0].body
        if len(statements) != 1:
            return None
        node = statements[0]
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name != found.name:
            return None
        end = _lines(node)[1]
        module_code = compile(tree, filename, "exec", flags=compiler_flags, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    code = _const_code(module_code, found.owner) if found.owner else module_code
    code = _const_code(code, found.name) if code is not None else None
    if code is None:
        return None
    node.body = [ast.Pass()]
    return CompiledDef(code, ast.dump(node), end)


def _const_code(parent: CodeType, name: str) -> CodeType | None:
    for const in parent.co_consts:
        if isinstance(const, CodeType) and const.co_name == name:
            return const
    return None


def shifted(code: CodeType, delta: int) -> CodeType:
    """The same code ``delta`` lines further down (inner functions too).

    Since Python 3.11 a code object's line table is relative to ``co_firstlineno``,
    so this equals compiling the moved text (checked by the tests on 3.11 to 3.13).
    """
    return code.replace(
        co_firstlineno=code.co_firstlineno + delta,
        co_consts=tuple(
            shifted(const, delta) if isinstance(const, CodeType) else const
            for const in code.co_consts
        ),
    )
