"""A real MCP agent for livegate's tests, built on the official Python MCP SDK.

It connects to livegate over Streamable HTTP or over stdio (by launching `livegate connect`),
lists the tools, makes the calls the scenario asks for, and prints what it saw as one JSON
object on stdout. It works with the SDK's 1.x line (handshake revisions only) and its 2.x
line (`mode="legacy"` for the handshake, `"auto"` to negotiate 2026-07-28).
"""

import argparse
import asyncio
import json
import os
import sys

import mcp


def tool_result(result):
    """The first text item and the error flag of a CallToolResult, across SDK versions."""
    content = getattr(result, "content", None) or []
    text = getattr(content[0], "text", None) if content else None
    is_error = getattr(result, "isError", None)
    if is_error is None:
        is_error = getattr(result, "is_error", False)
    return {"text": text, "is_error": bool(is_error)}


async def scenario(session, args, report):
    tools = await session.list_tools()
    report["tools"] = [t.name for t in tools.tools]
    report["echo"] = tool_result(await session.call_tool("echo", {"text": "hello from python"}))
    report["denied"] = tool_result(await session.call_tool("fail", {}))
    if args.rate_limit:
        results = [tool_result(await session.call_tool("echo", {"text": str(i)})) for i in range(args.rate_limit)]
        report["rate_limit"] = results
    try:
        await session.call_tool("no_such_tool", {})
        report["unknown"] = "no error"
    except Exception as e:  # the SDK raises for JSON-RPC errors
        report["unknown"] = str(e)


async def run_v2(args, report):
    import httpx2
    from mcp import Client, StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client

    if args.transport == "http":
        http_client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {args.token}"}, timeout=30)
        server = streamable_http_client(args.url, http_client=http_client)
    else:
        env = dict(os.environ, LIVEGATE_URL=args.url, LIVEGATE_TOKEN=args.token)
        server = StdioServerParameters(command=args.livegate, args=["connect"], env=env)
    async with Client(server, mode=args.mode) as client:
        report["protocol_version"] = client.protocol_version
        await scenario(client, args, report)


async def run_v1(args, report):
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamablehttp_client

    if args.transport == "http":
        async with streamablehttp_client(args.url, headers={"Authorization": f"Bearer {args.token}"}) as (read, write, _):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                report["protocol_version"] = init.protocolVersion
                await scenario(session, args, report)
    else:
        env = dict(os.environ, LIVEGATE_URL=args.url, LIVEGATE_TOKEN=args.token)
        params = StdioServerParameters(command=args.livegate, args=["connect"], env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                report["protocol_version"] = init.protocolVersion
                await scenario(session, args, report)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=["http", "stdio"], required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--mode", default="legacy", help="2.x only: legacy, auto or 2026-07-28")
    parser.add_argument("--livegate", help="the livegate binary, for --transport stdio")
    parser.add_argument("--rate-limit", type=int, default=0, help="make this many extra echo calls")
    args = parser.parse_args()
    report = {"sdk": getattr(mcp, "__version__", None) or ("2" if hasattr(mcp, "Client") else "1")}
    runner = run_v2 if hasattr(mcp, "Client") else run_v1
    asyncio.run(runner(args, report))
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
