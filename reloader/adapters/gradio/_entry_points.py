"""What Gradio built once, at launch, for the first Blocks, pointed at each new version:
the ways in that do not go through the page. Each attribute used here is checked
when Gradio is imported (compat.ATTRIBUTES)."""

from __future__ import annotations

from typing import Any

from reloader.adapters.gradio.compat import GradioInternals

__all__ = ["forget_api_description", "retarget_entry_points"]


def retarget_entry_points(gr: GradioInternals, old: Any, new: Any) -> None:
    """Point what Gradio built once, at launch, for the first Blocks at the new one.

    swap_blocks() keeps the running queue, but the queue resolves the function of
    an event without a session (``POST /gradio_api/call/<api_name>``, curl, the
    page's "Use via API") through ``Queue.blocks``: the first Blocks, whose
    functions are the first version's. The MCP server (``mcp_server=True``)
    likewise holds the first Blocks, its API description and its tool table.
    """
    new._queue.blocks = new
    mcp = old.mcp_server_obj if gr.mcp else None
    if mcp is not None:  # launch(mcp_server=True)
        new.mcp_server_obj = mcp
        mcp.blocks = new
        mcp.api_info = new.get_api_info()
        mcp.tool_to_endpoint = mcp.get_tool_to_endpoint()
        # Its loopback client described the first version's endpoints.
        mcp._client_instance = None


def forget_api_description(gr: GradioInternals, running_app: Any) -> None:
    """Gradio's app builds the API description (``/gradio_api/info``, which the "Use
    via API" page, ``gradio_client``'s ``view_api()`` and the ``/call/v2`` route read)
    when first asked and keeps it until the server stops: a swap must drop it."""
    running_app.api_info = None
    running_app.all_app_info = None
    if "page_api_info" in gr.optional:  # Gradio 6: one per page of a multipage app
        running_app.page_api_info = {}
