"""A separate OS process that drives one venue's queue through the real service and store.

    python -m tests.server.queue_worker LOG_URL NAME COUNTER MODE COUNT

MODE "calls": COUNT rounds of issue, call next, done at COUNTER; then prints one JSON line
with the command ids it got answers for and its final state.
MODE "acks": issues COUNT tickets, printing "ack COMMAND_ID SEQ" after each answer, so a
parent can kill -9 it at any moment.
"""

from __future__ import annotations

import asyncio
import sys

import msgspec

from server.domain import commands as cmd
from server.domain.errors import DomainError
from server.service import VenueQueue
from server.store import open_log
from tests.helpers import small_venue


async def main(url: str, name: str, counter: str, mode: str, count: int) -> None:
    log = open_log(url)
    queue = VenueQueue(small_venue(), log)
    await queue.start()
    try:
        if mode == "calls":
            await _calls(queue, name, counter, count)
        else:
            await _acks(queue, name, count)
    finally:
        await queue.stop()
        await log.close()


async def _send(queue: VenueQueue, command: cmd.Command, command_id: str, acked: list[str]) -> bool:
    try:
        await queue.execute(command, command_id)
    except DomainError:
        return False
    acked.append(command_id)
    return True


async def _calls(queue: VenueQueue, name: str, counter: str, count: int) -> None:
    acked: list[str] = []
    await _send(queue, cmd.OpenCounter(counter=counter, officer=name), f"{name}-open", acked)
    for i in range(count):
        await _send(
            queue, cmd.IssueTicket(service="ktp", visit=f"{name}{i}"), f"{name}-i{i}", acked
        )
        if await _send(queue, cmd.CallNext(counter=counter, officer=name), f"{name}-c{i}", acked):
            await _send(queue, cmd.Done(counter=counter, officer=name), f"{name}-d{i}", acked)
    print("done", flush=True)
    # Wait for the other process to finish too, then report the state at the log's head.
    sys.stdin.readline()
    head = await queue.log.head(queue.venue.id)
    while queue.state.seq < head:  # noqa: ASYNC110 - polls another task's progress, no event to await
        await asyncio.sleep(0.05)
    report = {"acked": acked, "seq": queue.state.seq, "state": queue.state.snapshot()}
    print(msgspec.json.encode(report).decode(), flush=True)


async def _acks(queue: VenueQueue, name: str, count: int) -> None:
    for i in range(count):
        command_id = f"{name}-{i}"
        outcome = await queue.execute(cmd.IssueTicket(service="kk", visit=command_id), command_id)
        print(f"ack {command_id} {outcome.last_seq}", flush=True)


if __name__ == "__main__":
    url, name, counter, mode, count = sys.argv[1:6]
    asyncio.run(main(url, name, counter, mode, int(count)))
