"""The patch tier's one-function path: a save that changed the lines of one function
compiles that function alone, and decides exactly as comparing whole modules would."""

from __future__ import annotations

import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, ModuleType

import pytest

from reloader.execute import _patch_changes, _patch_safety, _spans
from reloader.execute._patch import Fallback, Patcher, PatchResult
from reloader.execute._patch_changes import compile_source, read_source


class Module:
    """One module executed as the executor would, and a patcher that saw it run."""

    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        path.write_text(textwrap.dedent(source))
        self.module = ModuleType("app")
        self.module.__file__ = str(path)
        exec(compile_source(read_source(path), path), self.module.__dict__)
        self.patcher = Patcher()
        self.patcher.remember([("app", path, read_source(path))])

    def save(self, source: str) -> PatchResult | Fallback:
        self.path.write_text(textwrap.dedent(source))
        return self.patcher.try_patch([self.path], {"app": self.module})

    def live_codes(self) -> dict[str, CodeType]:
        """The code of every function and method in ``FUNCTIONS``, as the module holds it."""
        found = {}
        for qualname in FUNCTIONS:
            owner, _, name = qualname.rpartition(".")
            holder = self.module.__dict__ if not owner else vars(self.module.__dict__[owner])
            member = holder[name]
            member = getattr(member, "fget", None) or getattr(member, "__func__", member)
            found[qualname] = getattr(member, "__wrapped__", member).__code__
        return found

    def fresh_codes(self) -> dict[str, CodeType]:
        """The same functions' code objects from a whole-module compile of the file."""
        found: dict[str, CodeType] = {}

        def walk(code: CodeType) -> None:
            for const in code.co_consts:
                if isinstance(const, CodeType):
                    found[const.co_qualname] = const
                    walk(const)

        walk(compile_source(read_source(self.path), self.path))
        return {qualname: found[qualname] for qualname in FUNCTIONS}


@pytest.fixture
def whole_module_forbidden(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(source: str, filename: str) -> None:
        raise AssertionError("the whole module was compiled")

    monkeypatch.setattr(_patch_changes, "_analysis", refuse)
    yield


BIG = """\
from __future__ import annotations

import functools

LIMIT = 3


class Base:
    def greet(self) -> str:
        return "base"


class Box(Base):
    __secret = 7

    def greet(self) -> str:
        return "box " + super().greet()

    def secret(self) -> int:
        return self.__secret

    @property
    def size(self) -> int:
        return LIMIT

    @staticmethod
    def fail() -> None:
        raise ValueError("box")


def handler(text: str) -> str:
    def inner(value: list[str]) -> str:
        return "-".join(value)

    return inner([text, "v1"])


@functools.lru_cache
def cached(n: int) -> int:
    return n * LIMIT


def last() -> None:
    raise ValueError("last")
"""


FUNCTIONS = (
    "Base.greet",
    "Box.greet",
    "Box.secret",
    "Box.size",
    "Box.fail",
    "handler",
    "cached",
    "last",
)


def test_a_handler_edit_compiles_that_function_only(
    tmp_path: Path, whole_module_forbidden: None
) -> None:
    app = Module(tmp_path / "app.py", BIG)
    result = app.save(BIG.replace('"v1"', '"v2"'))
    assert isinstance(result, PatchResult) and result.functions == ("handler()",)
    assert app.module.handler("a") == "a-v2"
    assert app.live_codes() == app.fresh_codes()


def test_lines_added_in_a_method_move_every_function_below_it(
    tmp_path: Path, whole_module_forbidden: None
) -> None:
    app = Module(tmp_path / "app.py", BIG)
    grown = BIG.replace(
        '        return "box " + super().greet()',
        '        greeting = "box "\n\n        return greeting + super().greet()',
    )
    result = app.save(grown)
    assert isinstance(result, PatchResult) and result.functions == ("Box.greet()",)
    assert app.module.Box().greet() == "box base"
    assert app.module.Box().secret() == 7  # private names still mangled as in the class
    # Nothing below the edit changed but its place: same code, at the new lines.
    assert app.live_codes() == app.fresh_codes()
    for call, line in ((app.module.last, 'raise ValueError("last")'), (app.module.Box.fail, None)):
        with pytest.raises(ValueError) as caught:
            call()
        reported = traceback.extract_tb(caught.value.__traceback__)[-1]
        assert reported.lineno is not None
        assert grown.splitlines()[reported.lineno - 1].strip() == (
            line or 'raise ValueError("box")'
        )
    # The next save compares with this one: shrink it back.
    result = app.save(BIG)
    assert isinstance(result, PatchResult) and result.functions == ("Box.greet()",)
    assert app.live_codes() == app.fresh_codes()


def test_a_cached_function_edit_clears_its_cache(
    tmp_path: Path, whole_module_forbidden: None
) -> None:
    app = Module(tmp_path / "app.py", BIG)
    assert app.module.cached(2) == 6
    assert isinstance(app.save(BIG.replace("n * LIMIT", "n * LIMIT + 1")), PatchResult)
    assert app.module.cached(2) == 7


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(
            lambda s: s.replace(
                '    return inner([text, "v1"])\n', '    return inner([text, "v1"])\nLIMIT = 4\n'
            ),
            "changed more than function bodies",
            id="a statement added right after a function",
        ),
        pytest.param(
            lambda s: s.replace(
                '        return "base"\n', '        return "base"\n    kind = "new"\n'
            ),
            "changed more than function bodies",
            id="a class attribute added right after a method",
        ),
        pytest.param(
            lambda s: s.replace("def handler(text: str)", "def handler(text: str, extra=1)"),
            "changed more than function bodies",
            id="a signature",
        ),
        pytest.param(
            lambda s: s.replace("@functools.lru_cache\n", "@functools.cache\n"),
            "changed more than function bodies",
            id="a decorator",
        ),
        pytest.param(
            lambda s: s.replace('    return inner([text, "v1"])', 'return inner([text, "v1"])'),
            "does not compile",
            id="a body line dedented out of its function",
        ),
        pytest.param(
            lambda s: s.replace(
                "        return self.__secret",
                "        return super().__sizeof__() and self.__secret",
            ),
            "Box.secret() now uses different outer variables",
            id="super() in a method that had no __class__ cell",
        ),
    ],
)
def test_what_the_one_function_path_cannot_prove_is_decided_on_the_whole_module(
    tmp_path: Path, edit: object, reason: str
) -> None:
    app = Module(tmp_path / "app.py", BIG)
    assert callable(edit)
    result = app.save(edit(BIG))
    assert isinstance(result, Fallback), result
    assert reason in result.reason


def test_two_functions_edited_in_one_save_are_both_patched(tmp_path: Path) -> None:
    app = Module(tmp_path / "app.py", BIG)
    result = app.save(BIG.replace('"v1"', '"v2"').replace('"last"', '"end"'))
    assert isinstance(result, PatchResult)
    assert set(result.functions) == {"handler()", "last()"}
    assert app.live_codes() == app.fresh_codes()


LOAD_TIME = """\
def g():
    return "title"


TITLE = g()


def handler():
    def g():
        return 1

    return g()


def h():
    return 1
"""


def test_a_patch_that_makes_a_load_time_name_call_a_changed_function_falls_back(
    tmp_path: Path,
) -> None:
    """Load-time calls are indexed by name: the handler's inner ``g`` shares the name of
    the ``g()`` the module calls while loading. Once it calls ``h()``, ``h`` counts as
    running at load time too, and a change of ``h`` in the same save is refused."""
    app = Module(tmp_path / "app.py", LOAD_TIME)
    app.patcher.prepare()  # the names called at load time, before the save
    edited = LOAD_TIME.replace("        return 1\n", "        return h()\n").replace(
        "def h():\n    return 1", "def h():\n    return 2"
    )
    result = app.save(edited)
    assert isinstance(result, Fallback)
    assert "h() runs while the modules load" in result.reason


def test_prepare_does_a_patchs_analysis_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Module(tmp_path / "app.py", BIG)
    app.patcher.prepare()

    def refuse(*args: object) -> None:
        raise AssertionError("analysed during the patch")

    monkeypatch.setattr(_patch_safety, "called_while_loading", refuse)
    monkeypatch.setattr(_patch_changes, "_parsed", refuse)
    assert isinstance(app.save(BIG.replace('"v1"', '"v2"')), PatchResult)


def test_lines_are_split_where_python_ends_them() -> None:
    """A form feed or U+2028 inside a line is not a line end for Python's tokenizer."""
    source = 'x = "a\u2028b"\n\x0cy = 1\nz = 2'
    assert _spans.lines_of(source) == ['x = "a\u2028b"\n', "\x0cy = 1\n", "z = 2"]
    assert _spans.lines_of("a\n") == ["a\n"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (["a", "b", "c"], ["a", "b", "c"], None),
        (["a", "b", "c"], ["a", "X", "c"], (1, 2, 2)),
        (["a", "b", "c"], ["a", "b", "X", "c"], (2, 2, 3)),
        (["a", "b", "c"], ["a", "c"], (1, 2, 1)),
        (["a", "a"], ["a", "a", "a"], (2, 2, 3)),
        (["a"], ["b"], (0, 1, 1)),
    ],
)
def test_changed_range(
    old: list[str], new: list[str], expected: tuple[int, int, int] | None
) -> None:
    assert _spans.changed_range(old, new) == expected


def test_code_changed_outside_every_function_falls_back_without_comparing_modules(
    tmp_path: Path, whole_module_forbidden: None
) -> None:
    """A layout edit (module-level code) needs a full reload: known from the lines alone."""
    app = Module(tmp_path / "app.py", BIG)
    result = app.save(BIG.replace("LIMIT = 3", "LIMIT = 4"))
    assert isinstance(result, Fallback)
    assert "changed more than function bodies" in result.reason


def test_a_comment_outside_every_function_changes_no_code(tmp_path: Path) -> None:
    app = Module(tmp_path / "app.py", BIG)
    result = app.save(BIG.replace("LIMIT = 3\n", "LIMIT = 3  # the default\n# more\n"))
    assert isinstance(result, PatchResult) and result.functions == ()
    assert app.live_codes() == app.fresh_codes()
