"""An agent's side of the reload channel, for the tests: the status route and the
MCP tools, called as a coding agent calls them (HTTP; the ``mcp`` package's own
client over streamable HTTP)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from reloader.channel import events_schema
from support import DevreloadProcess, status

__all__ = ["McpTools", "events_in", "schema_validator", "status", "with_mcp"]

T = TypeVar("T")


class McpTools:
    """devreload's MCP tools in one client session."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def names(self) -> list[str]:
        return [tool.name for tool in (await self.session.list_tools()).tools]

    async def __call__(self, name: str, **arguments: Any) -> dict[str, Any]:
        result = await self.session.call_tool(name, arguments)
        assert not result.isError, result.content
        answer = dict(result.structuredContent)
        # The text content, for clients that read no structured content, says the same.
        assert json.loads(result.content[0].text) == answer
        return answer


def with_mcp(
    process: DevreloadProcess,
    script: Callable[[McpTools], Awaitable[T]],
    headers: Mapping[str, str] | None = None,
) -> T:
    """Run ``script`` with devreload's MCP tools, over HTTP, in a session of its own
    (``headers``: the app's credentials, say)."""
    import anyio
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def main() -> T:
        url = process.url + "/__devreload__/mcp"
        async with (
            streamablehttp_client(url, headers=dict(headers or {}), timeout=75) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await script(McpTools(session))

    # In a thread of its own: Playwright's sync API holds an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(anyio.run, main).result()


def schema_validator(definition: str | None = None) -> Any:
    """A validator for an event (or, named, for one of the schema's ``$defs``)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schema = events_schema()
    Draft202012Validator.check_schema(schema)
    if definition is None:
        return Draft202012Validator(schema)
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/{definition}"}, registry=registry)


def events_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
