"""Fault injection: the abuse of a real day of editing, against a real devreload process.

Each test prints a one-line FAULT summary (what was tried, what held) that the
README's Reliability section quotes; run with ``-m faults -s`` to see them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from support import (
    DevreloadProcess,
    devreload,
    markdown_values,
    save_in_place,
    serve_source,
    shared_devreload,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]

APP = textwrap.dedent(
    """
    import time
    import gradio as gr
    import helper

    VERSION = "{version}"

    if gr.NO_RELOAD:
        model = object()

    def answer(text):
        # Both halves come from one module version: a mixed reply would show.
        return f"{{VERSION}}|{{text}}|{{SUFFIX}}"

    def stream(text):
        for index in range(10):
            time.sleep(0.1)
            yield f"{{VERSION}}:{{index}}"

    with gr.Blocks() as demo:
        gr.Markdown("# {version}")
        box = gr.Textbox()
        out = gr.Textbox()
        box.submit(answer, box, out, api_name="answer")
        box.change(stream, box, out, api_name="stream")

    SUFFIX = "{version}"
    """
)


def summary(text: str) -> None:
    print(f"\nFAULT {text}")


def write_app(folder: Path, version: str = "v1", tag: str = "t1") -> Path:
    app = folder / "app.py"
    app.write_text(APP.format(version=version))
    (folder / "helper.py").write_text(f'TAG = "{tag}"\n')
    return app


def app_source(version: str) -> str:
    return APP.format(version=version)


def serving(process: DevreloadProcess, text: str, timeout: float = 20) -> None:
    wait_for(
        lambda: any(text in value for value in markdown_values(process.config())),
        timeout=timeout,
        what=f"{text!r} served",
    )


def reloads(process: DevreloadProcess) -> int:
    return process.count("devreload: reloaded")


# -- save storms and editors ---------------------------------------------------------


def test_save_storm_serves_the_last_content(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        started = time.monotonic()
        for index in range(200):
            save_in_place(app, app_source(f"storm{index}"))
            # 200 saves spread over about 2 s, as fast as an editor's autosave.
            deadline = started + (index + 1) * 0.01
            while time.monotonic() < deadline:
                pass
        serving(process, "# storm199")
        ran = reloads(process)
        assert 1 <= ran < 200
        assert "Traceback" not in process.output
        summary(f"save storm: 200 saves in 2 s -> {ran} reloads, last content served")


def test_an_in_place_save_slow_between_truncate_and_write_is_one_reload(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        for index in range(3):
            with open(app, "w", encoding="utf-8") as file:  # truncated here
                file.flush()
                # The editor is slow to write (a big file, a busy machine): the
                # watcher reports the empty file well before the content comes.
                time.sleep(0.05)
                file.write(app_source(f"slow{index}"))
            serving(process, f"# slow{index}")
            process.wait_for_line("devreload: reloaded", occurrences=index + 1)
        assert reloads(process) == 3
        assert "failed" not in process.output
        summary("in-place saves with 50 ms between truncate and write: one reload each")


def test_git_checkout_of_many_files_is_one_reload(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    for index in range(30):
        (tmp_path / f"mod{index}.py").write_text(f"X = {index}\n")
    app.write_text(app.read_text().replace("import helper", "import helper\nimport mod0, mod29"))

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "x", "--allow-empty")
    git("add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "main")
    git("checkout", "-qb", "feature")
    for index in range(30):
        (tmp_path / f"mod{index}.py").write_text(f"X = {index + 100}\n")
    (tmp_path / "helper.py").write_text('TAG = "feature"\n')
    app.write_text(app.read_text().replace("# v1", "# feature"))
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam", "feature")
    git("checkout", "-q", "main")
    with devreload(app) as process:
        process.wait_ready()
        git("checkout", "-q", "feature")
        serving(process, "# feature")
        process.wait_for_line("devreload: reloaded")
        with pytest.raises(AssertionError):  # no second reload follows
            process.wait_for_line("devreload: reloaded", timeout=1.0, occurrences=2)
        summary("git checkout of 32 files: 1 reload, new branch served")


def test_file_deleted_and_recreated(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        app.unlink()
        process.wait_for_line("FileNotFoundError")  # told, not crashed
        serving(process, "# v1")  # still serving the last good app
        app.write_text(app_source("v2"))
        serving(process, "# v2")
        summary("app file deleted then re-created: last good app served meanwhile, recovered")


def test_app_renamed_away_and_back(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        away = tmp_path / "app_old.py"
        os.replace(app, away)
        app_text = away.read_text().replace("# v1", "# v2")
        away.write_text(app_text)
        os.replace(away, app)
        serving(process, "# v2")
        # The page can show v2 a moment before the line is printed: wait for it.
        process.wait_for_line("devreload: reloaded")
        summary("app file renamed away and back: new content served")


# -- broken code ------------------------------------------------------------------


BROKEN = {
    "syntax": ("app", lambda s: s + "\ndef broken(:\n", "SyntaxError in"),
    "name_error": ("app", lambda s: s + "\nundefined_name\n", "NameError in"),
    "missing_module": ("app", lambda s: "import not_a_module\n" + s, "ModuleNotFoundError in"),
    "helper_raises": ("helper", lambda s: s + "raise ValueError('bad helper')\n", "ValueError in"),
    "no_reload_raises": (
        "app",
        lambda s: s.replace("    model = object()", "    model = object()\n    1 / 0"),
        "ZeroDivisionError in",
    ),
}


HELPER = 'TAG = "t1"\n'


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevreloadProcess]:
    folder = tmp_path_factory.mktemp("broken")
    (folder / "helper.py").write_text(HELPER)
    with shared_devreload(folder, app_source("v1")) as process:
        yield process


@pytest.fixture
def server(served: DevreloadProcess) -> DevreloadProcess:
    """The module's process, serving v1 with the helper as written at first."""
    serve_source(served, HELPER, served.app.parent / "helper.py")
    return serve_source(served, app_source("v1"))


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_broken_code_keeps_last_good_app(server: DevreloadProcess, fault: str) -> None:
    app = server.app
    which, breaker, expected = BROKEN[fault]
    target = app if which == "app" else app.parent / "helper.py"
    good = target.read_text()
    told = server.count(expected)
    save_in_place(target, breaker(good))
    server.wait_for_line(expected, occurrences=told + 1)
    line = [line for line in server.lines if expected in line][-1]
    assert f"{target}, line " in line  # names file and line
    serving(server, "# v1")
    save_in_place(app, app_source("v2"))
    if target != app:
        save_in_place(target, good)
    serving(server, "# v2")
    summary(f"{fault}: last good app kept serving, error named {target.name} and line, fixed")


def test_no_reload_block_raising_on_first_load_waits_for_a_fix(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    good = app.read_text()
    app.write_text(good.replace("    model = object()", "    raise RuntimeError('no GPU')"))
    with devreload(app) as process:
        process.wait_for_line("waiting for a fix")
        assert "RuntimeError in" in process.output
        # Nothing was ever served: the terminal says so, not "the last good version".
        assert "the first load failed; nothing is served yet." in process.output
        assert "last good" not in process.output and "tabs told" not in process.output
        save_in_place(app, good)
        process.wait_ready()
        serving(process, "# v1")


def test_hanging_module_is_reported_and_a_fix_recovers(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        # A slow machine may already have reported the first load as still loading
        # (its own line 3 is the gradio import), so only the reload's report counts.
        save_in_place(app, "import time\nwhile True:\n    time.sleep(0.1)\n" + app_source("hang"))
        process.wait_for_line("the reload has been running", timeout=20)
        assert process.count(f"the reload has been running for 5 s; it is at {app}, line 3.") == 1
        serving(process, "# v1")
        save_in_place(app, app_source("v2"))
        serving(process, "# v2")
        summary("module top level hanging: stuck line reported after 5 s, fix loaded")


# -- load while reloading ---------------------------------------------------------------


def call(client: httpx.Client, api: str, text: str, data: list[str] | None = None) -> list[str]:
    """One Gradio API call (POST, then the event's stream); the data it sent, as it comes."""
    posted = client.post(f"/gradio_api/call/{api}", json={"data": [text]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    data = [] if data is None else data
    with client.stream("GET", f"/gradio_api/call/{api}/{event_id}") as response:
        response.raise_for_status()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
                if event == "error":
                    raise AssertionError(f"event error for {text!r}")
            elif line.startswith("data:") and event in {"generating", "complete"}:
                data.append(json.loads(line[5:])[0])
    return data


def test_twenty_clients_across_fifty_reloads(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        stop = threading.Event()
        results: Counter[str] = Counter()
        failures: list[str] = []

        def client_loop(number: int) -> None:
            with httpx.Client(base_url=process.url, timeout=30) as client:
                sent = 0
                while not stop.is_set():
                    sent += 1
                    text = f"c{number}-{sent}"
                    try:
                        reply = call(client, "answer", text)[-1]
                    except Exception as error:
                        failures.append(f"{text}: {error!r}")
                        continue
                    version, echoed, suffix = reply.split("|")
                    if echoed != text or version != suffix:
                        failures.append(f"mixed reply {reply!r} for {text!r}")
                    results[version] += 1

        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        try:
            for index in range(2, 52):
                save_in_place(app, app_source(f"v{index}"))
                serving(process, f"# v{index}")
                # Let calls land between every two reloads, however slow the machine.
                done = sum(results.values()) + len(failures)
                wait_for(lambda d=done: sum(results.values()) + len(failures) >= d + 2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert not failures, failures[:5]
        assert sum(results.values()) > 100
        summary(
            f"20 clients x 50 reloads: {sum(results.values())} calls, 0 failed, "
            f"0 mixed, {reloads(process)} reloads"
        )


def test_streaming_event_finishes_across_a_reload(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        chunks: list[str] = []

        def run_stream() -> None:
            with httpx.Client(base_url=process.url, timeout=30) as client:
                call(client, "stream", "go", chunks)

        streamer = threading.Thread(target=run_stream)
        streamer.start()
        wait_for(lambda: chunks, timeout=10, what="the stream to start")
        save_in_place(app, app_source("v2"))
        serving(process, "# v2")
        streamer.join(timeout=30)
        assert not streamer.is_alive()
        # Ten "generating" updates from the version it started on, then "complete".
        assert chunks[:10] == [f"v1:{i}" for i in range(10)], chunks
        assert chunks[-1] == "v1:9"
        summary("streaming generator running across a reload: all 10 chunks arrived")


# -- long sessions ---------------------------------------------------------------------


#: The app of issue 21's memory report: a chatbot, a multimodal textbox, 20 textboxes.
MEMORY_APP = textwrap.dedent(
    """
    import gradio as gr


    def respond(message, history):
        text = message.get("text", "") if isinstance(message, dict) else message
        answer = {{"role": "assistant", "content": "{version} " + text}}
        return history + [{{"role": "user", "content": text}}, answer], None


    with gr.Blocks() as demo:
        gr.Markdown("# {version}")
        chat = gr.Chatbot()
        box = gr.MultimodalTextbox(label="Message")
        box.submit(respond, [box, chat], [chat, box])
        for i in range(20):
            gr.Textbox(label=f"field {{i}}")

    demo.launch()
    """
)


def test_five_hundred_reloads_leak_nothing(tmp_path: Path) -> None:
    """Resident memory is flat after a warm-up. Before: every save's syntax tree was
    kept (a 256-entry cache keyed by the whole source), +3.7 MB per 100 reloads of
    this app until the cache was full, far more for a large app file."""
    app = tmp_path / "app.py"
    app.write_text(MEMORY_APP.format(version="r0"))
    with devreload(app) as process:
        process.wait_ready()
        assert process.process is not None
        server = psutil.Process(process.process.pid)

        def reload_to(last: int, first: int) -> float:
            for index in range(first, last + 1):
                save_in_place(app, MEMORY_APP.format(version=f"r{index}"))
                serving(process, f"# r{index}")
            return float(server.memory_info().rss) / 2**20

        # Warm-up: lazy imports, caches, and the allocator's high-water mark (the
        # memory freed by old versions is reused, not returned to the system).
        rss100 = reload_to(100, 1)
        fds0, threads0 = server.num_fds(), server.num_threads()
        rss300 = reload_to(300, 101)
        rss600 = reload_to(600, 301)
        fds1, threads1 = server.num_fds(), server.num_threads()
        per_100 = (rss600 - rss100) / 5
        summary(
            f"500 reloads (after 100): RSS {rss100:.1f} -> {rss300:.1f} -> {rss600:.1f} MB, "
            f"{per_100:+.2f} MB per 100 reloads; fds {fds0}->{fds1}, "
            f"threads {threads0}->{threads1}"
        )
        assert (rss300 - rss100) / 2 < 2.0
        assert per_100 < 1.0
        assert fds1 <= fds0 + 5
        assert threads1 <= threads0 + 3


# -- shutdown -----------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_in_the_middle_of_a_reload(tmp_path: Path, sig: int) -> None:
    app = write_app(tmp_path)
    process = DevreloadProcess(app).start()
    try:
        process.wait_ready()
        save_in_place(app, 'print("SLOW RELOAD", flush=True)\nimport time\ntime.sleep(30)\n')
        process.wait_for_line("SLOW RELOAD")
        took, _ = process.stop_cleanly(sig)
        summary(f"{signal.Signals(sig).name} mid-reload: exited in {took:.2f} s, port freed")
    except BaseException:
        print(process.output)
        raise
    finally:
        process.stop(signal.SIGKILL)


# -- security --------------------------------------------------------------------------


def test_binds_loopback_by_default_and_warns_for_all_interfaces(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        assert process.process is not None
        listening = {
            conn.laddr.ip
            for conn in psutil.Process(process.process.pid).net_connections("tcp")
            if conn.status == psutil.CONN_LISTEN
        }
        assert listening == {"127.0.0.1"}
        assert "warning" not in process.output
    with devreload(app, args=["--host", "0.0.0.0"]) as exposed:
        exposed.wait_ready()
        assert "reachable from the network" in exposed.output


def test_files_outside_the_watched_folders_are_not_served(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    app = write_app(project)
    with devreload(app) as process:
        process.wait_ready()
        answers = {
            path: answer(process.url + path)
            for path in (
                f"/gradio_api/file={secret}",
                "/gradio_api/dev/reload/../../../secret.txt",
                f"/gradio_api/dev/reload?file={secret}",
            )
        }
        for path, (status, body) in answers.items():
            # Refused (a 4xx status) or answered with something else; never the file.
            assert status == 200 or 400 <= status < 500, (path, status)
            assert b"do not serve" not in body, path
        assert process.get("/config")  # and the server is still there


def answer(url: str) -> tuple[int, bytes]:
    """The status and the start of the body (an event stream never ends) of a GET; a
    refused connection or a timeout is raised: that is a server gone, not a refusal."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read1(65536)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
