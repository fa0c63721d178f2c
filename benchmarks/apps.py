"""The benchmark app and its variants, written into a tool's own folder.

Every tool gets the same app: a Blocks with a ``gr.Markdown`` that carries a
marker, a ``gr.Chatbot``, a ``gr.MultimodalTextbox`` and an ``if gr.NO_RELOAD:``
block that sleeps (the model load). A save replaces the marker with a new unique
one, written in place, in the app file or in a helper module the app imports; a
structure edit instead inserts a ``gr.Textbox`` labelled with the marker at the
top of the Blocks (and the save before it takes that Textbox out again).

The FastAPI kind is the repository's ``examples/fastapi_app`` (HTML pages, a
static stylesheet, a 1 s model load under ``NO_RELOAD``) with the marker in its
page heading; it is probed through its page (GET ``/``) rather than ``/config``.
The framework kinds (NiceGUI, Dash, Shiny, FastHTML) are written by
``frameworks.py`` and probed where each framework serves the marker.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .frameworks import FRAMEWORKS, FrameworkKey, framework_source

__all__ = [
    "INITIAL_MARKER",
    "MARKER_RE",
    "AppDir",
    "AppSpec",
    "add_extra_tree",
    "new_marker",
    "write_app",
]

#: Fixed width, so that no marker is a prefix of another.
MARKER_RE = re.compile(r"bmk[0-9a-f]{10}")
INITIAL_MARKER = "bmk0000000000"

#: app: the header Markdown's text (a props-only edit); insert: a component inserted at the
#: top of the Blocks (a structure edit); helper: a module the app imports; handler: an
#: event handler's body.
EditTarget = Literal["app", "insert", "helper", "handler"]
AppKind = Literal["minimal", "demo", "fastapi"] | FrameworkKey

#: The repository's demo app, copied (with its folder) for the "demo app" variant.
DEMO_APP_DIR = Path(__file__).resolve().parent.parent / "demo_app"
#: The repository's FastAPI example, copied for the "FastAPI" variant.
FASTAPI_APP_DIR = Path(__file__).resolve().parent.parent / "examples" / "fastapi_app"
#: The line of the FastAPI example's page that gets the marker.
FASTAPI_HEADING = "<h1>Ask the model</h1>"
#: For a route-handler edit: the route's answer, the model load, the lifespan's startup.
FASTAPI_HEALTH = 'return {"ok": True, "model": id(model)}'
FASTAPI_LOAD = "    model = SlowModel()"
FASTAPI_LIFESPAN = 'app.state.started_at = time.strftime("%H:%M:%S")'


#: The minimal app's Blocks, and the component a structure edit inserts at its top.
BLOCKS_LINE = "with gr.Blocks() as demo:\n"
INSERTED_LINE = '    gr.Textbox(label="Inserted {marker}")\n'


def new_marker() -> str:
    return "bmk" + secrets.token_hex(5)


@dataclass(frozen=True)
class AppSpec:
    """What to write: the knobs the variants turn."""

    #: Seconds the ``if gr.NO_RELOAD:`` block sleeps (the model load).
    no_reload_seconds: float = 1.0
    #: Components in the Blocks, the Markdown, Chatbot and MultimodalTextbox included.
    components: int = 3
    #: Which file a save edits.
    edit: EditTarget = "app"
    kind: AppKind = "minimal"
    #: Extra ``.py`` files in the watched folder (not imported).
    extra_files: int = 0


@dataclass
class AppDir:
    """A written app: where it is and how to make a save's new text."""

    root: Path
    #: The file the server is started with, relative to ``root``.
    app_file: str
    #: The file a save edits.
    target: Path
    template: str
    marker: str = INITIAL_MARKER
    env: dict[str, str] = field(default_factory=dict)
    #: What uvicorn serves (``module:attribute``): the app mounted on FastAPI for
    #: the Gradio kinds, the app itself for the FastAPI kind.
    asgi_app: str = "mounted:app"
    #: The path whose body shows the marker once the change is served.
    probe_path: str = "/config"
    #: For a handler edit: the button whose click runs the edited handler (the
    #: probe clicks it in a page) and the API name of the same event.
    probe_click: str | None = None
    probe_api: str | None = None
    #: A path whose JSON answer counts the app's lifespan starts in this process.
    lifespan_probe: str | None = None
    #: Whether an open tab shows the marker (not for an edit seen only in a JSON answer).
    tab: bool = True
    #: Structure edits: the line a save inserts at the top of the Blocks (``{marker}`` in
    #: it: the new component shows the marker), after the line ``insert_after``. The
    #: saved file then has it; the next save first takes it out again (``undo_text``).
    insert: str | None = None
    insert_after: str = ""
    #: Whether the file as last saved has the inserted line.
    inserted: bool = False
    #: The header's marker in the file as last saved (an insert keeps it as it is).
    header_marker: str = INITIAL_MARKER

    @property
    def app_path(self) -> Path:
        return self.root / self.app_file

    def text_with(self, marker: str) -> str:
        """The measured save's text: ``marker`` in the header, or for a structure edit,
        the component inserted with ``marker`` and the header left as it was."""
        if self.insert is None:
            return MARKER_RE.sub(marker, self.template, count=1)
        plain = MARKER_RE.sub(self.header_marker, self.template, count=1)
        line = self.insert.format(marker=marker)
        return plain.replace(self.insert_after, self.insert_after + line, 1)

    def undo_text(self, marker: str) -> str:
        """A structure edit's preparing save: the inserted line taken out, ``marker`` in
        the header (so that the probes can tell when it is served)."""
        return MARKER_RE.sub(marker, self.template, count=1)

    def save(self, text: str, marker: str) -> None:
        """An editor's in-place save: truncate and write the same inode."""
        with open(self.target, "w", encoding="utf-8") as file:
            file.write(text)
        self.marker = marker
        self.inserted = self.insert is not None and self.insert.format(marker=marker) in text
        if not self.inserted:
            self.header_marker = marker

    def reset(self) -> None:
        self.save(self.undo_text(INITIAL_MARKER), INITIAL_MARKER)


def write_app(root: Path, spec: AppSpec) -> AppDir:
    """Write the app described by ``spec`` into ``root`` (created).

    A Gradio app gets ``mounted.py`` beside it: the app mounted on FastAPI, for uvicorn.
    """
    root.mkdir(parents=True, exist_ok=True)
    if spec.kind == "fastapi":
        app = _write_fastapi(root, spec)
    elif spec.kind in FRAMEWORKS:
        app = _write_framework(root, spec)
    else:
        app = _write_demo(root, spec) if spec.kind == "demo" else _write_minimal(root, spec)
        (root / "mounted.py").write_text(_mounted_source(Path(app.app_file).stem), encoding="utf-8")
    app.reset()
    return app


def _write_minimal(root: Path, spec: AppSpec) -> AppDir:
    if spec.edit == "helper":
        helper = root / "helper.py"
        template = f'TITLE = "Benchmark helper: version {INITIAL_MARKER}"\n'
        helper.write_text(template, encoding="utf-8")
        (root / "app.py").write_text(_minimal_source(spec, helper=True), encoding="utf-8")
        return AppDir(root, "app.py", helper, template)
    source = _minimal_source(spec, helper=False)
    (root / "app.py").write_text(source, encoding="utf-8")
    if spec.edit == "handler":
        return AppDir(
            root, "app.py", root / "app.py", source, probe_click="probe", probe_api="probe"
        )
    if spec.edit == "insert":
        return AppDir(
            root,
            "app.py",
            root / "app.py",
            source,
            insert=INSERTED_LINE,
            insert_after=BLOCKS_LINE,
        )
    return AppDir(root, "app.py", root / "app.py", source)


def _minimal_source(spec: AppSpec, *, helper: bool) -> str:
    handler = spec.edit == "handler"
    title = "helper.TITLE" if helper else f'"# Benchmark app\\n\\nVersion {INITIAL_MARKER}"'
    if handler:  # the marker is in the event handler's body only
        title = '"# Benchmark app"'
    lines = [
        '"""The benchmark app (written by benchmarks/apps.py)."""',
        "",
        "import time",
        "",
        "import gradio as gr",
        "",
    ]
    if helper:
        lines += ["import helper", ""]
    lines += [
        "if gr.NO_RELOAD:",
        "    # The model load: kept across reloads by the tools that honour NO_RELOAD.",
        f"    time.sleep({spec.no_reload_seconds!r})",
        '    MODEL = {"loaded": True}',
        "",
        "",
        "def respond(message, history):",
        '    text = (message or {}).get("text") or ""',
        '    reply = {"role": "assistant", "content": f"echo: {text}"}',
        '    return [*(history or []), {"role": "user", "content": text}, reply]',
        "",
        "",
        "def double(value):",
        "    return (value or 0) * 2",
        "",
        "",
    ]
    if handler:
        lines += [
            "def probe(count):",
            f'    return "handler {INITIAL_MARKER}", (count or 0) + 1',
            "",
            "",
        ]
    lines += [
        BLOCKS_LINE.rstrip("\n"),
        f"    gr.Markdown({title})",
        "    chatbot = gr.Chatbot()",
        "    box = gr.MultimodalTextbox()",
        "    box.submit(respond, [box, chatbot], [chatbot])",
    ]
    if handler:
        lines += [
            '    count = gr.Number(value=0, elem_id="probe-count")',
            '    probe_out = gr.Textbox(label="probe", elem_id="probe-out")',
            '    gr.Button("probe", elem_id="probe").click(',
            '        probe, count, [probe_out, count], api_name="probe"',
            "    )",
        ]
    lines += _extra_components(max(0, spec.components - 3))
    lines += ["", 'if __name__ == "__main__":', "    demo.launch()", ""]
    return "\n".join(lines)


def _extra_components(count: int) -> list[str]:
    """``count`` more components, five to a row, with an event every few."""
    lines: list[str] = []
    for index in range(count):
        if index % 5 == 0:
            lines.append("    with gr.Row():")
        kind = index % 5
        if kind == 0:
            lines.append(f'        n{index} = gr.Number(value={index}, label="Number {index}")')
        elif kind == 1:
            lines.append(f'        t{index} = gr.Textbox(label="Text {index}")')
        elif kind == 2:
            lines.append(
                f'        s{index} = gr.Slider(0, 100, value={index % 100}, label="S{index}")'
            )
        elif kind == 3:
            lines.append(f'        c{index} = gr.Checkbox(label="Check {index}")')
        else:
            lines.append(f'        b{index} = gr.Button("Double {index - 4}")')
            lines.append(f"        b{index}.click(double, n{index - 4}, n{index - 4})")
    return lines


def _mounted_source(module: str) -> str:
    return (
        '"""The app mounted on FastAPI, for uvicorn (written by benchmarks/apps.py)."""\n\n'
        "import gradio as gr\n"
        "from fastapi import FastAPI\n\n"
        f"from {module} import demo\n\n"
        'app = gr.mount_gradio_app(FastAPI(), demo, path="/")\n'
    )


def _write_demo(root: Path, spec: AppSpec) -> AppDir:
    """Copy the repository's demo app and add a marker Markdown to its Blocks."""
    source_file = DEMO_APP_DIR / "app.py"
    if not source_file.is_file():
        raise FileNotFoundError(f"{source_file} does not exist (yet)")
    shutil.copytree(
        DEMO_APP_DIR,
        root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"),
    )
    source = (root / "app.py").read_text(encoding="utf-8")
    template = insert_marker_markdown(source)
    (root / "app.py").write_text(template, encoding="utf-8")
    return AppDir(root, "app.py", root / "app.py", template, env={"DOC_ANALYZER_BACKEND": "local"})


def _write_fastapi(root: Path, spec: AppSpec) -> AppDir:
    """Copy the FastAPI example and put the marker in its page heading, or for a
    handler edit in its ``/api/health`` route's answer (with a count of lifespan
    starts, kept under ``NO_RELOAD``, in the same answer)."""
    source_file = FASTAPI_APP_DIR / "main.py"
    shutil.copytree(
        FASTAPI_APP_DIR,
        root,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    source = source_file.read_text(encoding="utf-8")
    if spec.edit == "handler":
        template = _replace_once(
            source,
            source_file,
            (FASTAPI_LOAD, f"{FASTAPI_LOAD}\n    LIFESPAN_STARTS: list[float] = []"),
            (FASTAPI_LIFESPAN, f"{FASTAPI_LIFESPAN}\n    LIFESPAN_STARTS.append(time.time())"),
            (
                FASTAPI_HEALTH,
                'return {"ok": True, "model": id(model), '
                f'"version": "{INITIAL_MARKER}", "lifespan_starts": len(LIFESPAN_STARTS)}}',
            ),
        )
        probe = "/api/health"
    else:
        heading = f"<h1>Ask the model (version {INITIAL_MARKER})</h1>"
        template = _replace_once(source, source_file, (FASTAPI_HEADING, heading))
        probe = "/"
    (root / "main.py").write_text(template, encoding="utf-8")
    return AppDir(
        root,
        "main.py",
        root / "main.py",
        template,
        asgi_app="main:app",
        probe_path=probe,
        lifespan_probe=probe if spec.edit == "handler" else None,
        tab=spec.edit != "handler",
    )


def _replace_once(source: str, where: Path, *replacements: tuple[str, str]) -> str:
    for old, new in replacements:
        if source.count(old) != 1:
            raise ValueError(f"{where} has no single {old!r} to mark")
        source = source.replace(old, new)
    return source


def _write_framework(root: Path, spec: AppSpec) -> AppDir:
    """One framework's app (see frameworks.py), started as ``app.py`` by every tool."""
    template = framework_source(spec.kind, INITIAL_MARKER, spec.no_reload_seconds)
    (root / "app.py").write_text(template, encoding="utf-8")
    probe_path = FRAMEWORKS[spec.kind].probe_path
    return AppDir(root, "app.py", root / "app.py", template, probe_path=probe_path)


def insert_marker_markdown(source: str) -> str:
    """Add ``gr.Markdown("...marker...")`` as the first statement of the first ``with *.Blocks``.

    Any app then has a line whose edit changes only a text the page shows.
    """
    tree = ast.parse(source)
    alias = _gradio_alias(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
            _is_blocks_call(item.context_expr) for item in node.items
        ):
            first = node.body[0]
            lines = source.splitlines(keepends=True)
            indent = " " * first.col_offset
            line = f'{indent}{alias}.Markdown("Benchmark marker {INITIAL_MARKER}")\n'
            lines.insert(first.lineno - 1, line)
            return "".join(lines)
    raise ValueError("no `with gr.Blocks(...)` block found")


def _gradio_alias(tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.Import):
            for name in node.names:
                if name.name == "gradio":
                    return name.asname or "gradio"
    return "gr"


def _is_blocks_call(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "Blocks"


def add_extra_tree(root: Path, count: int, per_folder: int = 500) -> Path:
    """``count`` small ``.py`` files under ``root/extra``; returns that folder."""
    extra = root / "extra"
    extra.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        folder = extra / f"d{index // per_folder:03d}"
        if index % per_folder == 0:
            folder.mkdir(exist_ok=True)
        fd = os.open(folder / f"m{index:05d}.py", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, f"VALUE = {index}\n".encode())
        finally:
            os.close(fd)
    return extra
