"""The baseline of `bench.fanout`: a plain `websockets` broadcast server, nothing else.

    python -m bench.fanout_baseline PORT

Every connection but `/control` is a screen: it gets the current message once on connect,
then every broadcast. A message sent on `/control` becomes the current message, is pushed
to every screen with `websockets.asyncio.server.broadcast()` (one write per connection,
no queue, no task), and is acknowledged with `ok` once that call returned, the way the
app answers a command once the hub has queued the view.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.fanout_client import raise_fd_limit


class Broadcaster:
    """The screens and the message they all show."""

    def __init__(self) -> None:
        self.screens: set[ServerConnection] = set()
        self.current = b"{}"

    async def handle(self, ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            await self._control(ws)
            return
        self.screens.add(ws)
        try:
            await ws.send(self.current)
            await ws.wait_closed()
        finally:
            self.screens.discard(ws)

    async def _control(self, ws: ServerConnection) -> None:
        async for message in ws:
            self.current = message if isinstance(message, bytes) else message.encode()
            broadcast(self.screens, self.current)
            await ws.send("ok")


async def main(port: int) -> None:
    raise_fd_limit()
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    broadcaster = Broadcaster()
    # backlog as uvicorn's default, so connection storms meet the same queue.
    async with serve(broadcaster.handle, "127.0.0.1", port, backlog=2048, max_size=2**20):
        print(f"baseline listening on {port}", flush=True)
        await stop


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(int(sys.argv[1])))
