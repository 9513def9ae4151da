"""Child processes of `bench.fanout`: started with room for many sockets, always stopped.

Every child runs in its own session (a Ctrl-C reaches only the bench, which then stops
them in order) and gets SIGTERM from the kernel if the bench dies without cleaning up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import resource
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, BinaryIO

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parent.parent


def fd_ceiling() -> int:
    """The most open files a child may be given: the hard limit, or the kernel's for root."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if os.geteuid() != 0:
        return hard
    return int(Path("/proc/sys/fs/nr_open").read_text())


def ephemeral_ports() -> int:
    low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    return int(high) - int(low) + 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (/proc/<pid>/stat utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of `pid` (/proc/<pid>/status VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def wait_idle(pid: int, seconds: float = 60.0) -> None:
    """Wait until `pid` uses under 4% of a core (e.g. start-up work is over), `seconds` at most."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        before = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - before < 0.02:
            return


def _child_setup(fd_limit: int) -> None:
    # Runs in the child between fork and exec.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))


class Children:
    """The bench's child processes; `stop_all` ends every one still running."""

    def __init__(self, folder: Path, fd_limit: int) -> None:
        self.folder, self.fd_limit = folder, fd_limit
        self._running: list[asyncio.subprocess.Process] = []

    async def start(
        self, name: str, args: list[str], cwd: Path = ROOT, **pipes: Any
    ) -> asyncio.subprocess.Process:
        """Start `args` in `cwd` (another checkout runs its own code: `python -m` looks
        there first)."""
        with self._log_file(name) as log:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdout=pipes.get("stdout", log),
                stderr=log,
                stdin=pipes.get("stdin", asyncio.subprocess.DEVNULL),
                preexec_fn=lambda: _child_setup(self.fd_limit),
                start_new_session=True,
                cwd=cwd,
            )
        self._running.append(process)
        return process

    def _log_file(self, name: str) -> BinaryIO:
        return open(self.folder / f"{name}.log", "ab")  # closed by the caller

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    async def stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process in self._running:
            self._running.remove(process)

    async def stop_all(self) -> None:
        await asyncio.gather(*(self.stop(p) for p in list(self._running)))


@contextlib.asynccontextmanager
async def children(folder: Path, fd_limit: int) -> AsyncIterator[Children]:
    """Children that are all stopped on the way out, whatever the way out is."""
    kids = Children(folder, fd_limit)
    try:
        yield kids
    finally:
        # Shielded: a Ctrl-C cancelled the bench, but the stopping must still finish.
        await asyncio.shield(kids.stop_all())
