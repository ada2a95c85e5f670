"""A tiny MCP server over stdio (standard library only) for livegate's tests.

It speaks the handshake revisions: answers `initialize` with the version asked for (or the
one given as the second argument, to play an older server), lists one
tool `shout` whose description is read from the file named on the command line at every
`tools/list` (so a test can change it between runs), and answers `tools/call shout`.
"""

import json
import sys

DESCRIPTION_FILE = sys.argv[1]
FORCED_VERSION = sys.argv[2] if len(sys.argv) > 2 else None


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    method, mid = msg.get("method"), msg.get("id")
    if mid is None:
        continue  # notifications need no answer
    if method == "initialize":
        version = FORCED_VERSION or msg["params"]["protocolVersion"]
        send({"jsonrpc": "2.0", "id": mid, "result": {
            "protocolVersion": version, "capabilities": {"tools": {}},
            "serverInfo": {"name": "toy", "version": "1"}}})
    elif method == "tools/list":
        with open(DESCRIPTION_FILE) as f:
            description = f.read().strip()
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{
            "name": "shout", "description": description,
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}]}})
    elif method == "tools/call":
        text = msg["params"].get("arguments", {}).get("text", "")
        send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": text.upper()}]}})
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "Method not found: " + str(method)}})
