"""The command's arguments, and its one-sentence failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from reloader._cli import main, parse_config
from reloader._errors import EXIT_USAGE, UserError


@pytest.fixture
def app(tmp_path: Path) -> Path:
    path = tmp_path / "app.py"
    path.write_text("")
    return path


def test_defaults(app: Path) -> None:
    config, verbose = parse_config([str(app)])
    assert config.app_path == app
    assert config.host is None and config.port is None  # the adapter binds 127.0.0.1
    assert config.app_args == () and not verbose
    assert config.keep_state


def test_every_option(app: Path, tmp_path: Path) -> None:
    extra = tmp_path / "lib"
    extra.mkdir()
    config, verbose = parse_config(
        [
            str(app),
            "--demo-name", "ui",
            "--host", "0.0.0.0",
            "--port", "7999",
            "--watch", str(extra),
            "--ignore", "*.gen.py",
            "--ignore", "data/*",
            "--adapter", "gradio",
            "--no-keep-state",
            "-v",
            "--", "--model", "small", "--",
        ]
    )  # fmt: skip
    assert config.app_name == "ui" and config.adapter == "gradio"
    assert (config.host, config.port) == ("0.0.0.0", 7999)
    assert config.watch == (extra,)
    assert config.ignore == ("*.gen.py", "data/*")
    assert config.app_args == ("--model", "small", "--")
    assert verbose and not config.keep_state
    assert config.watch_paths(Path("/cwd")) == [app.resolve().parent, extra, Path("/cwd")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.py"], "missing.py does not exist"),
        (["{app}", "--watch", "/no/such/dir"], "--watch /no/such/dir: no such folder"),
        (["{app}", "--port", "70000"], "a port is a number from 1 to 65535"),
    ],
)
def test_bad_arguments_are_one_sentence(app: Path, argv: list[str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_config([arg.format(app=app) for arg in argv])


def test_main_reports_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["missing.py"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert (
        err.strip()
        == "devreload: error: missing.py does not exist; pass the path of your app file."
    )


def test_unknown_adapter(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(app), "--adapter", "nope"]) == EXIT_USAGE
    assert "No adapter named 'nope'; available:" in capsys.readouterr().err


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port"]) == EXIT_USAGE


def test_app_is_an_alias_of_demo_name(app: Path) -> None:
    config, _ = parse_config([str(app), "--app", "ui"])
    assert config.app_name == "ui"


def test_events_options(app: Path, tmp_path: Path) -> None:
    config, _ = parse_config([str(app), "--events", "json", "--events-file", "ev.jsonl"])
    assert config.json_events and config.events_file == Path("ev.jsonl")


def test_dash_m_finds_the_module_without_importing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg" / "web").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("raise RuntimeError('imported')\n")
    (tmp_path / "pkg" / "app.py").write_text("")
    (tmp_path / "pkg" / "web" / "__main__.py").write_text("")
    monkeypatch.chdir(tmp_path)
    config, _ = parse_config(["-m", "pkg.app"])
    assert config.app_path == tmp_path / "pkg" / "app.py" and config.module == "pkg.app"
    config, _ = parse_config(["-m", "pkg.web"])
    assert config.module == "pkg.web.__main__"


def test_uvicorn_module_app_form_names_the_file_and_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "main.py").write_text("")
    (tmp_path / "pkg" / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.chdir(tmp_path)
    config, _ = parse_config(["main:app"])
    assert (config.app_path, config.import_name, config.app_name) == (
        tmp_path / "main.py",
        "main",
        "app",
    )
    config, _ = parse_config(["pkg:api"])
    assert config.app_path == tmp_path / "pkg" / "__init__.py" and config.import_name == "pkg"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope:app"], r"nope:app: no nope.py or nope/__init__.py under the current folder"),
        (["main:app", "--app", "api"], "names the app 'app' and --app names 'api'"),
        (["-m", "pkg.nope"], r"-m pkg.nope: no pkg/nope.py or pkg/nope/__main__.py"),
        (["-m", "pkg-app"], "not a module name"),
        (["x.py", "-m", "pkg.app"], "either an app file or -m MODULE"),
        ([], "which app?"),
    ],
)
def test_dash_m_mistakes_are_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=message):
        parse_config(argv)
