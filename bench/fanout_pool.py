"""The client processes of `bench.fanout`, driven as one pool of screens."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.fanout_procs import Children


class Client:
    """One `bench.fanout_client` process: ops in, answers and completions out."""

    def __init__(self, index: int, process: asyncio.subprocess.Process, pool: Pool) -> None:
        self.index, self.process, self._pool = index, process, pool
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.open = 0
        self._listening = asyncio.create_task(self._listen(), name=f"client {index}")

    async def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
        await self.process.stdin.drain()
        answer = await self.answers.get()
        if answer.get("op") != op:
            raise RuntimeError(f"client {self.index} answered {answer} to {op!r}")
        return answer

    async def _listen(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if message["op"] == "complete":
                self._pool.completed(self.index, message["seq"])
            else:
                self.answers.put_nowait(message)
        self.answers.put_nowait({"op": "exited"})


class Pool:
    """Screens spread over several processes; calls are tracked by the seq they carry."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self._done: dict[int, set[int]] = {}
        self._changed = asyncio.Event()

    @classmethod
    async def start(cls, kids: Children, processes: int) -> Pool:
        pool = cls()
        for index in range(processes):
            process = await kids.start(
                f"client-{index}",
                [sys.executable, "-m", "bench.fanout_client"],
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            pool.clients.append(Client(index, process, pool))
        await asyncio.gather(*(c.answers.get() for c in pool.clients))  # each says hello
        return pool

    def completed(self, client: int, seq: int) -> None:
        self._done.setdefault(seq, set()).add(client)
        self._changed.set()

    async def connect(
        self, port: int, path: str, screens: int, seconds: float, headers: str = ""
    ) -> tuple[int, list[str]]:
        """Open `screens` screens in all, starting none after `seconds`; returns how many
        opened and the first errors."""
        shares = [screens // len(self.clients)] * len(self.clients)
        for i in range(screens % len(self.clients)):
            shares[i] += 1
        answers = await asyncio.gather(
            *(
                c.ask("connect", port=port, path=path, count=n, seconds=seconds, headers=headers)
                for c, n in zip(self.clients, shares, strict=True)
            )
        )
        for client, answer in zip(self.clients, answers, strict=True):
            client.open = answer["open"]
        errors = [e for a in answers for e in a["errors"]]
        return sum(a["ready"] for a in answers), errors

    async def reset(self) -> None:
        await asyncio.gather(*(c.ask("reset") for c in self.clients))
        self._done.clear()

    async def disconnect(self) -> None:
        await asyncio.gather(*(c.ask("disconnect") for c in self.clients))

    async def wait_complete(self, seq: int, seconds: float) -> bool:
        """Wait until every screen has the call published at `seq`; False on timeout."""
        expected = {c.index for c in self.clients if c.open}
        try:
            async with asyncio.timeout(seconds):
                while not expected <= self._done.get(seq, set()):
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True

    async def receipts(self, folder: Path, seqs: list[int]) -> tuple[np.ndarray, dict[str, int]]:
        """Receive times (screen x call, 0 = never) for the calls at `seqs`, and counters:
        frames seen, reads with and without a kernel receive time, screens closed."""
        files = [folder / f"receipts-{c.index}.npz" for c in self.clients]
        answers = await asyncio.gather(
            *(c.ask("report", file=str(f)) for c, f in zip(self.clients, files, strict=True))
        )
        blocks = [_by_seq(np.load(f), seqs) for f in files]
        counters = {k: sum(a[k] for a in answers) for k in ("frames", "stamped", "unstamped")}
        return np.concatenate(blocks), counters

    async def quit(self) -> None:
        for client in self.clients:
            if client.process.stdin is not None and not client.process.stdin.is_closing():
                client.process.stdin.write(b'{"op": "quit"}\n')


def _by_seq(report: Any, seqs: list[int]) -> np.ndarray:
    """One client's receipts, columns reordered to `seqs` (a call never seen: all zeros)."""
    got, got_seqs = report["receipts"], list(report["seqs"])
    matrix = np.zeros((got.shape[0], len(seqs)), dtype=np.int64)
    for column, seq in enumerate(seqs):
        if seq in got_seqs:
            matrix[:, column] = got[:, got_seqs.index(seq)]
    return matrix
