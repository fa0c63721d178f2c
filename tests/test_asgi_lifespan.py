"""Lifespans across swaps, in a real devreload process (issue 10, items 9 to 11)."""

from __future__ import annotations

import textwrap
import threading
import urllib.error
from pathlib import Path

import pytest

from support import DevreloadProcess, devreload, save_in_place, wait_for

pytestmark = pytest.mark.integration

#: A lifespan that holds a resource (an open file) and closes it on shutdown, and
#: a startup that can hang like one awaiting a database that never answers.
APP = textwrap.dedent(
    """
    import asyncio
    import contextlib
    from pathlib import Path

    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import PlainTextResponse

    VERSION = "v1"
    HANG = False
    HERE = Path(__file__).parent


    @contextlib.asynccontextmanager
    async def lifespan(app):
        if HANG:
            await asyncio.Event().wait()  # the database that never answers
        with open(HERE / f"resource-{VERSION}.txt", "w") as resource:
            yield {"resource": resource}


    app = FastAPI(lifespan=lifespan)


    @app.get("/version")
    async def version():
        return PlainTextResponse(VERSION)


    @app.get("/slow")
    async def slow(request: Request):
        print(f"SLOW STARTED {VERSION}", flush=True)
        while not (HERE / "release").exists():
            await asyncio.sleep(0.01)
        request.state.resource.write("used after the save; ")
        request.state.resource.flush()
        return PlainTextResponse(VERSION)


    if __name__ == "__main__":
        RUN
    """
)

RUNS = {
    "uvicorn.run": 'uvicorn.run(app, host="127.0.0.1", port=8000)',
    "Server.run": 'uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8000)).run()',
    "Server.serve": (
        'asyncio.run(uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8000)).serve())'
    ),
}


def write_app(folder: Path, run: str = "uvicorn.run") -> Path:
    app = folder / "main.py"
    app.write_text(APP.replace("RUN", RUNS[run]))
    return app


def get(process: DevreloadProcess, path: str, timeout: float = 5.0) -> str:
    return process.get(path, timeout).decode()


def serving(process: DevreloadProcess, expected: str, timeout: float = 20) -> None:
    def says() -> bool:
        try:
            return get(process, "/version") == expected
        except (OSError, urllib.error.URLError):
            return False

    wait_for(says, timeout, what=f"/version to say {expected!r}")


def bump(app: Path, old: str, new: str) -> None:
    source = app.read_text()
    assert old in source
    save_in_place(app, source.replace(old, new))


def test_requests_in_flight_finish_before_the_old_lifespan_shuts_down(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        answers: list[object] = []

        def call() -> None:
            try:
                answers.append(get(process, "/slow", timeout=60))
            except urllib.error.HTTPError as error:
                answers.append(error.code)

        slow = [threading.Thread(target=call) for _ in range(3)]
        for thread in slow:
            thread.start()
        process.wait_for_line("SLOW STARTED v1", occurrences=3)
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        serving(process, "v2")  # new requests: the new app, its lifespan up
        (tmp_path / "release").touch()
        for thread in slow:
            thread.join(30)
        # They used the old app's resource: its lifespan was not shut down under them.
        assert answers == ["v1", "v1", "v1"]
        wait_for(
            lambda: (tmp_path / "resource-v1.txt").read_text().count("used") == 3,
            10,
            what="the three writes",
        )


def test_a_hanging_startup_keeps_the_last_good_app_serving_and_a_fix_recovers(
    tmp_path: Path,
) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        good = app.read_text()
        hanging = good.replace('VERSION = "v1"', 'VERSION = "v2"').replace(
            "HANG = False", "HANG = True"
        )
        save_in_place(app, hanging)
        process.wait_for_line("lifespan startup has not finished")
        stuck = [line for line in process.lines if "lifespan startup has not finished" in line]
        # Where it is stuck: the user's line, not asyncio's.
        line = hanging.splitlines().index(
            "        await asyncio.Event().wait()  # the database that never answers"
        )
        assert f"main.py, line {line + 1}" in stuck[0], process.output
        assert get(process, "/version") == "v1"  # the whole server is not frozen
        save_in_place(app, good.replace('VERSION = "v1"', 'VERSION = "v3"'))
        serving(process, "v3")
        process.wait_for_line("abandoned the new app's lifespan startup stuck at")
        assert f"main.py, line {line + 1}" in process.output.split("abandoned the new app's")[1]


@pytest.mark.parametrize("run", ["Server.run", "Server.serve"])
def test_uvicorn_server_run_and_serve_are_captured_like_uvicorn_run(
    tmp_path: Path, run: str
) -> None:
    app = write_app(tmp_path, run)
    with devreload(app) as process:
        process.wait_ready()
        assert "(asgi)" in process.output
        assert get(process, "/version") == "v1"
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        serving(process, "v2")


def test_a_request_still_running_after_the_bound_is_reported(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    with devreload(app) as process:
        process.wait_ready()
        answers: list[object] = []

        def call() -> None:
            try:
                answers.append(get(process, "/slow", timeout=60))
            except urllib.error.HTTPError as error:
                answers.append(error.code)

        slow = threading.Thread(target=call)
        slow.start()
        process.wait_for_line("SLOW STARTED v1")
        bump(app, 'VERSION = "v1"', 'VERSION = "v2"')
        serving(process, "v2")
        process.wait_for_line(
            "1 request(s) still running on the previous version after 10 s", timeout=40
        )
        (tmp_path / "release").touch()
        slow.join(30)
        assert answers == [500]  # its resource was closed under it, as reported
