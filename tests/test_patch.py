"""The patch tier's pure logic: which edits patch in place, and what the patched code does."""

from __future__ import annotations

import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from reloader.execute._patch import Fallback, Patcher, PatchResult
from reloader.execute._patch_changes import compile_source, read_source


class Modules:
    """Local modules executed as the executor would, with a patcher that saw them run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, ModuleType] = {}
        self.patcher = Patcher()

    def load(self, name: str, source: str) -> ModuleType:
        path = self.write(name, source)
        module = ModuleType(name)
        module.__file__ = str(path)
        self.modules[name] = module
        exec(compile_source(read_source(path), path), module.__dict__)
        self.patcher.remember([(name, path, read_source(path))])
        return module

    def write(self, name: str, source: str) -> Path:
        path = self.root / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        return path

    def save(self, sources: dict[str, str]) -> PatchResult | Fallback:
        paths = [self.write(name, source) for name, source in sources.items()]
        return self.patcher.try_patch(paths, self.modules)


@pytest.fixture
def mods(tmp_path: Path) -> Iterator[Modules]:
    yield Modules(tmp_path)


def patched(outcome: PatchResult | Fallback) -> PatchResult:
    assert isinstance(outcome, PatchResult), outcome
    return outcome


def fell_back(outcome: PatchResult | Fallback) -> str:
    assert isinstance(outcome, Fallback), outcome
    return outcome.reason


def test_handler_body_edit_patches_the_same_function_object(mods: Modules) -> None:
    app = mods.load("app", "def shout(text):\n    return text.upper()\n")
    handler = app.shout
    result = patched(mods.save({"app": "def shout(text):\n    return text.upper() + '!'\n"}))
    assert result.functions == ("shout()",)
    assert handler("hi") == "HI!"
    assert app.shout is handler


def test_from_import_sees_the_new_code(mods: Modules) -> None:
    helper = mods.load("helper", "def fn():\n    return 1\n")
    held = helper.fn  # as `from helper import fn` holds it
    patched(mods.save({"helper": "def fn():\n    return 2\n"}))
    assert held() == 2


CLASS = """\
class Model:
    factor = 2

    def run(self, x):
        return x * self.factor

    @staticmethod
    def static(x):
        return x

    @classmethod
    def make(cls):
        return "made"

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, v):
        self._value = v
"""


def test_methods_staticmethods_classmethods_and_properties(mods: Modules) -> None:
    app = mods.load("app", CLASS)
    model = app.Model()
    edited = (
        CLASS.replace("x * self.factor", "x * self.factor + 1")
        .replace("return x\n", "return -x\n")
        .replace('"made"', '"remade"')
        .replace("return self._value", "return self._value * 10")
        .replace("self._value = v", "self._value = v + 1")
    )
    result = patched(mods.save({"app": edited}))
    assert set(result.functions) == {
        "Model.run()",
        "Model.static()",
        "Model.make()",
        "Model.value()",
    }
    assert model.run(3) == 7
    assert app.Model.static(4) == -4
    assert app.Model.make() == "remade"
    model.value = 1
    assert model.value == 20


def test_a_running_generator_finishes_on_the_old_code(mods: Modules) -> None:
    app = mods.load("app", "def count():\n    yield 1\n    yield 2\n")
    running = app.count()
    assert next(running) == 1
    patched(mods.save({"app": "def count():\n    yield 10\n    yield 20\n"}))
    assert next(running) == 2
    assert list(app.count()) == [10, 20]


def test_line_numbers_follow_the_edit(mods: Modules) -> None:
    app = mods.load("app", "def fail():\n    raise ValueError('x')\n")
    result = patched(mods.save({"app": "def fail():\n\n\n    raise ValueError('x')\n"}))
    assert result.functions == ("fail()",)
    with pytest.raises(ValueError) as caught:
        app.fail()
    assert traceback.extract_tb(caught.value.__traceback__)[-1].lineno == 4


def test_a_wrapped_function_is_patched_through_wraps(mods: Modules) -> None:
    source = """\
    import functools

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return fn(*args)
        return wrapper

    @deco
    def greet():
        return "hi"
    """
    app = mods.load("app", source)
    result = patched(mods.save({"app": source.replace('"hi"', '"hello"')}))
    assert result.functions == ("greet()",)
    assert app.greet() == "hello"


def test_the_next_save_compares_with_the_patched_source(mods: Modules) -> None:
    app = mods.load("app", "def f():\n    return 1\n")
    patched(mods.save({"app": "def f():\n    return 2\n"}))
    patched(mods.save({"app": "def f():\n    return 3\n"}))
    assert app.f() == 3


BASE = """\
LIMIT = 3

def deco(fn):
    return fn

class Box:
    size = 1

    def get(self):
        return self.size

@deco
def work(a, b=1):
    return a + b

def outer():
    x = 1
    def inner():
        return x
    return inner
"""


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (lambda s: s.replace("LIMIT = 3", "LIMIT = 4"), "more than function bodies"),
        (lambda s: s.replace("def work(a, b=1)", "def work(a, c=1)"), "more than"),
        (lambda s: s.replace("b=1", "b=2"), "more than"),
        (lambda s: s.replace("@deco\n", ""), "more than"),
        (lambda s: s + "\ndef extra():\n    return 0\n", "more than"),
        (lambda s: s.replace("def deco(fn):\n    return fn\n", ""), "more than"),
        (lambda s: s.replace("size = 1", "size = 2"), "more than"),
        (lambda s: s.replace("return a + b", "yield a + b"), "changed kind"),
        (lambda s: s.replace("def get(self):\n", "def get(self):\n        __class__\n"), "outer"),
    ],
    ids=[
        "constant",
        "signature",
        "default",
        "decorator",
        "new-function",
        "removed-function",
        "class-attribute",
        "becomes-generator",
        "closure",
    ],
)
def test_fallbacks(mods: Modules, edit: object, why: str) -> None:
    app = mods.load("app", BASE)
    before = app.work.__code__
    assert callable(edit)
    reason = fell_back(mods.save({"app": edit(BASE)}))
    assert why in reason
    assert app.work.__code__ is before


def test_a_syntax_error_in_one_of_two_files_patches_nothing(mods: Modules) -> None:
    app = mods.load("app", "def f():\n    return 1\n")
    helper = mods.load("helper", "def g():\n    return 1\n")
    reason = fell_back(
        mods.save({"app": "def f():\n    return 2\n", "helper": "def g(:\n    return 2\n"})
    )
    assert "does not compile" in reason
    assert app.f() == 1 and helper.g() == 1


def test_an_unknown_file_falls_back(mods: Modules, tmp_path: Path) -> None:
    mods.load("app", "def f():\n    return 1\n")
    other = tmp_path / "other.py"
    other.write_text("x = 1\n")
    assert "not a module devreload has run" in fell_back(mods.patcher.try_patch([other], {}))


def test_a_cached_function_forgets_the_old_bodys_results(mods: Modules) -> None:
    source = "import functools\n\n@functools.cache\ndef load():\n    return 'old'\n"
    app = mods.load("app", source)
    assert app.load() == "old"
    result = patched(mods.save({"app": source.replace("'old'", "'new'")}))
    assert result.functions == ("load()",)
    assert app.load() == "new"


def test_code_that_is_not_the_remembered_source_falls_back(mods: Modules) -> None:
    app = mods.load("app", "LIMIT = 1\n\ndef f():\n    return LIMIT\n")
    # The last load ran this, but the patcher was told of a later save.
    mods.patcher.remember([("app", mods.root / "app.py", "LIMIT = 2\n\ndef f():\n    return 2\n")])
    reason = fell_back(mods.save({"app": "LIMIT = 2\n\ndef f():\n    return 3\n"}))
    assert "not the last loaded code" in reason
    assert app.f() == 1


LOAD_TIME = """\
import helper

def header():
    return "Header " + helper.suffix()

def shout(text):
    return text.upper()

class Button:
    def click(self, fn):
        return fn

TITLE = header()
Button().click(shout)
"""


def test_a_function_called_while_the_module_loads_falls_back(
    mods: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its result is built into the app (a header): only running the module again shows it."""
    monkeypatch.setitem(
        sys.modules, "helper", mods.load("helper", "def suffix():\n    return '1'\n")
    )
    mods.load("app", LOAD_TIME)
    reason = fell_back(mods.save({"app": LOAD_TIME.replace('"Header "', '"Title "')}))
    assert "header() runs while the modules load" in reason


def test_a_helper_called_by_a_load_time_function_falls_back(
    mods: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        sys.modules, "helper", mods.load("helper", "def suffix():\n    return '1'\n")
    )
    mods.load("app", LOAD_TIME)
    reason = fell_back(mods.save({"helper": "def suffix():\n    return '2'\n"}))
    assert "suffix() runs while the modules load" in reason


def test_a_handler_only_passed_along_at_load_time_is_patched(
    mods: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        sys.modules, "helper", mods.load("helper", "def suffix():\n    return '1'\n")
    )
    app = mods.load("app", LOAD_TIME)
    patched(mods.save({"app": LOAD_TIME.replace("text.upper()", "text.upper() + '!'")}))
    assert app.shout("a") == "A!"


def test_live_inner_functions_of_a_changed_function_fall_back(mods: Modules) -> None:
    """A Shiny ``server()`` or a factory: the functions an earlier call made keep the
    old inner code, so patching the outer one would leave them stale."""
    source = "def server():\n    def out():\n        return 'old'\n    return out\n"
    app = mods.load("app", source)
    made = app.server()
    reason = fell_back(mods.save({"app": source.replace("'old'", "'new'")}))
    assert "server() made inner functions that are still alive" in reason
    assert made() == "old"


def test_inner_functions_nobody_holds_are_patched(mods: Modules) -> None:
    source = "def server():\n    def out():\n        return 'old'\n    return out()\n"
    app = mods.load("app", source)
    assert app.server() == "old"
    patched(mods.save({"app": source.replace("'old'", "'new'")}))
    assert app.server() == "new"


def test_a_docstring_edit_falls_back(mods: Modules) -> None:
    """Gradio builds an event's API and MCP descriptions from its docstring when the
    app is built: only running the module again shows the new one."""
    source = 'def count(word):\n    """Count letters (v1)."""\n    return len(word)\n'
    app = mods.load("app", source)
    reason = fell_back(mods.save({"app": source.replace("(v1)", "(v2)")}))
    assert "docstring of count() changed" in reason
    assert app.count.__doc__ == "Count letters (v1)."
    # A body edit under an unchanged docstring still patches.
    patched(mods.save({"app": source.replace("len(word)", "len(word) + 1")}))
    assert app.count("ab") == 3


GREETER = """\
class Greeter:
    def __init__(self):
        self.prefix = "Hello"

    def greet(self, name):
        return f"{self.prefix} {name}"

class Reply:
    def __init__(self, text):
        self.text = text.upper()

def handler(text):
    return Reply(text).text

greeter = Greeter()
"""


def test_a_constructor_of_a_class_built_while_loading_falls_back(mods: Modules) -> None:
    """``greeter = Greeter()`` at module level keeps what ``__init__`` did then: an
    edit of ``__init__`` needs the module run again. A class built only inside
    handlers has its constructor patched."""
    app = mods.load("app", GREETER)
    reason = fell_back(mods.save({"app": GREETER.replace('"Hello"', '"Howdy"')}))
    assert "Greeter.__init__() runs while the modules load" in reason
    patched(mods.save({"app": GREETER.replace("text.upper()", "text.lower()")}))
    assert app.handler("Hi") == "hi"


def test_functions_called_through_an_alias_or_map_while_loading_fall_back(
    mods: Modules, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = "def build_header():\n    return '# Header v1'\n"
    monkeypatch.setitem(sys.modules, "helpers", mods.load("helpers", helper))
    mods.load(
        "app",
        "from helpers import build_header as header\n\n"
        "def label(i):\n    return f'Item {i}'\n\n"
        "TITLE = header()\nCHOICES = list(map(label, range(3)))\n",
    )
    reason = fell_back(mods.save({"helpers": helper.replace("v1", "v2")}))
    assert "build_header() runs while the modules load" in reason
    source = (mods.root / "app.py").read_text()
    reason = fell_back(mods.save({"app": source.replace("Item", "Choice")}))
    assert "label() runs while the modules load" in reason


TWICE = """\
def handler():
    return "first"

FIRST = handler

def handler():
    return "second"
"""


@pytest.mark.parametrize("edit", ["one-function", "whole-module"])
def test_an_edit_of_the_first_of_two_functions_of_one_name_falls_back(
    mods: Modules, edit: str
) -> None:
    """The app may hold the first one (a handler registered before the second
    ``def``): it is not in the module's namespace, so it cannot be patched, and the
    save is not "no code changed" either."""
    app = mods.load("app", TWICE)
    source = TWICE.replace('"first"', '"first v2"')
    if edit == "whole-module":  # a second change elsewhere: the whole modules compared
        source = source.replace('"second"', '"second v2"')
    reason = fell_back(mods.save({"app": source}))
    assert "handler() is defined twice" in reason
    assert app.FIRST() == "first"
    # The second one alone is what the namespace holds: patched.
    patched(mods.save({"app": TWICE.replace('"second"', '"second v3"')}))
    assert app.handler() == "second v3"


WITH_BLOCK = """\
import contextlib

def top(x):
    return x

with contextlib.nullcontext() as demo:
    LABEL = "Greet"

    def greet(name):
        return "Hello " + name

    with contextlib.nullcontext():
        @contextlib.contextmanager
        def inner_cm():
            yield "v1"

        def boom():
            raise ValueError("boom")

    handlers = [greet, boom]
"""


def test_handlers_defined_in_a_with_block_are_patched(mods: Modules) -> None:
    """Gradio's docs define handlers inside ``with gr.Blocks() as demo:``: module-level
    functions all the same, patched in place (nested ``with`` blocks and decorated
    ones too); code outside their bodies still means a full reload."""
    app = mods.load("app", WITH_BLOCK)
    held = app.handlers[0]
    result = patched(mods.save({"app": WITH_BLOCK.replace('"Hello "', '"Howdy "')}))
    assert result.functions == ("greet()",)
    assert held("Ada") == "Howdy Ada"
    source = (mods.root / "app.py").read_text()
    patched(mods.save({"app": source.replace('yield "v1"', 'yield "v2"')}))
    with app.inner_cm() as value:
        assert value == "v2"
    source = (mods.root / "app.py").read_text()
    assert "more than function bodies" in fell_back(
        mods.save({"app": source.replace('LABEL = "Greet"', 'LABEL = "Hi"')})
    )


def test_an_edit_in_a_with_block_that_adds_lines_moves_the_functions_below(
    mods: Modules,
) -> None:
    app = mods.load("app", WITH_BLOCK)
    source = WITH_BLOCK.replace(
        '        return "Hello " + name\n',
        '        greeting = "Hello "\n        return greeting + name\n',
    )
    patched(mods.save({"app": source}))
    with pytest.raises(ValueError) as raised:
        app.handlers[1]()
    line = traceback.extract_tb(raised.value.__traceback__)[-1].lineno
    assert source.splitlines()[line - 1].strip() == 'raise ValueError("boom")'


LAMBDA_BELOW = """\
def greet(name):
    return "Hello " + name

def boom_once():
    return 1

boom = lambda: 1 / 0
"""


def test_an_edit_that_moves_a_lambda_below_falls_back(mods: Modules) -> None:
    """A lambda's running code cannot be given new line numbers (nothing that a patch
    can reach holds it): an edit above it that adds lines reloads, so tracebacks
    keep pointing at the right line. The same edit without new lines patches."""
    app = mods.load("app", LAMBDA_BELOW)
    reason = fell_back(
        mods.save({"app": LAMBDA_BELOW.replace('return "Hello "', 'x = 1\n    return "Hello "')})
    )
    assert "lines moved under a lambda" in reason
    patched(mods.save({"app": LAMBDA_BELOW.replace('"Hello "', '"Howdy "')}))
    assert app.greet("A") == "Howdy A"
