"""`antrean cluster` (`make run-cluster`): the way a city runs it, without docker.

One redis-server (AOF on, in the cluster's folder), two antrean processes on it with one
secret, and nginx in front (`deploy/nginx.conf.template`, the file docker compose uses
too) on plain http and on https with a certificate made for the LAN on first start (or
the operator's own). Started in that order, each waited for until it answers; stopped
together by Ctrl-C or SIGTERM, the proxy first, nothing left running. If a part dies, the
rest are stopped and the part's log is named.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import functools
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
REPLICAS = 2
# How long a part may take to answer after it was started, and to stop after being asked.
START_SECONDS, STOP_SECONDS = 60.0, 10.0
# Redis's AOF: each write on disk before Redis answers it, so an acknowledged command
# survives a power cut too. Measured here (README, "appendfsync"): as fast as everysec
# within the noise, about 2,000 appends a second, a hundred times a busy venue's need.
APPENDFSYNC = "always"
# One replica failing this many times within FAIL_TIMEOUT is left out for FAIL_TIMEOUT.
MAX_FAILS, FAIL_TIMEOUT = 2, "5s"


class ClusterError(Exception):
    """A part could not be started: what, and where its log is."""


class StopRequested(Exception):
    """Ctrl-C or SIGTERM came while the cluster was starting."""


@dataclass
class Part:
    name: str
    command: list[str]
    log: Path
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, **self.env},
                # Its own group: a Ctrl-C in the terminal reaches the launcher only, which
                # stops the parts in order; and it dies with the launcher (Linux).
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Cluster:
    """redis-server, `REPLICAS` antrean processes and nginx, in `folder`."""

    def __init__(
        self,
        folder: Path,
        http_port: int = 8080,
        https_port: int = 8443,
        venue: str | None = None,
        cert: Path | None = None,
        key: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.http_port, self.https_port = http_port, https_port
        self.venue, self.extra_env = venue, extra_env or {}
        self.cert, self.key = cert, key
        self.redis_port = free_port()
        self.replica_ports = [free_port() for _ in range(REPLICAS)]
        self.parts: list[Part] = []

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def url(self) -> str:
        return f"http://localhost:{self.http_port}"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.replica_ports]

    def start(self, stop_requested: Callable[[], bool] = lambda: False) -> None:
        """Start every part in order, each answering before the next; on a failure stop
        what was started and raise `ClusterError` (`StopRequested` once `stop_requested`
        says so: a Ctrl-C does not wait for the rest to come up)."""
        for tool in ("redis-server", "nginx"):
            if shutil.which(tool) is None:
                raise ClusterError(
                    f"{tool} is not installed: run `scripts/ensure-system cluster` "
                    f"(or apt-get install {tool})"
                )
        for port in (self.http_port, self.https_port):
            if not port_free(port):
                raise ClusterError(f"port {port} is taken: choose another with --port/--https-port")
        for sub in ("redis", "data", "nginx/tmp", "logs"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        secret = self._secret()
        if self.cert is None or self.key is None:
            self.cert, self.key = lan_certificate(self.folder / "tls")
        self.parts = [self._redis(), *self._replicas(secret), self._nginx()]
        try:
            for part in self.parts:
                part.start()
                self._wait_ready(part, stop_requested)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every part, the proxy first (no request reaches a stopping process)."""
        for part in reversed(self.parts):
            part.stop()

    def part(self, name: str) -> Part:
        """The part called `name`: redis-server, antrean-1, antrean-2 or nginx."""
        return next(part for part in self.parts if part.name == name)

    def restart(self, name: str) -> None:
        """Stop the part `name` if it runs, start it again and wait until it answers."""
        part = self.part(name)
        part.stop()
        part.start()
        self._wait_ready(part, lambda: False)

    def dead(self) -> Part | None:
        """A part that stopped by itself, if any."""
        return next((p for p in self.parts if not p.alive), None)

    def _wait_ready(self, part: Part, stop_requested: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not part.ready():
            if stop_requested():
                raise StopRequested
            if not part.alive:
                raise ClusterError(f"{part.name} stopped at start; its log: {part.log}")
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{part.name} did not answer in {START_SECONDS:g} s; its log: {part.log}"
                )
            time.sleep(0.1)

    def _secret(self) -> str:
        given = os.environ.get("ANTREAN_SECRET", "")
        if given:
            return given
        path = self.folder / "secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def _redis(self) -> Part:
        command = [
            "redis-server",
            "--bind", "127.0.0.1",
            "--port", str(self.redis_port),
            "--dir", str(self.folder / "redis"),
            "--appendonly", "yes",
            "--appendfsync", APPENDFSYNC,
            "--save", "",
        ]  # fmt: skip
        return Part("redis-server", command, self.folder / "logs" / "redis.log", self._pong)

    def _replicas(self, secret: str) -> list[Part]:
        parts = []
        for n, port in enumerate(self.replica_ports, start=1):
            command = [sys.executable, "-m", "server", "run", "--port", str(port)]
            command += ["--redis", self.redis_url, "--data", str(self.folder / "data")]
            if self.venue:
                command += ["--venue", self.venue]
            env = {"ANTREAN_SECRET": secret, "ANTREAN_PROCESS": f"antrean-{n}"}
            url = f"http://127.0.0.1:{port}/healthz"
            parts.append(
                Part(
                    f"antrean-{n}",
                    command,
                    self.folder / "logs" / f"antrean-{n}.log",
                    functools.partial(answers, url),
                    env={**env, **self.extra_env},
                )
            )
        return parts

    def _nginx(self) -> Part:
        directory = self.folder / "nginx"
        servers = " ".join(
            f"server 127.0.0.1:{port} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT};"
            for port in self.replica_ports
        )
        (directory / "antrean.conf").write_text(
            render_template(
                TEMPLATE.read_text(),
                ANTREAN_UPSTREAM_SERVERS=servers,
                ANTREAN_HTTP_PORT=str(self.http_port),
                ANTREAN_HTTPS_PORT=str(self.https_port),
                ANTREAN_CERT=str(self.cert),
                ANTREAN_KEY=str(self.key),
            )
        )
        (directory / "nginx.conf").write_text(_nginx_main(directory))
        command = ["nginx", "-p", str(directory), "-c", str(directory / "nginx.conf")]
        health = f"http://127.0.0.1:{self.http_port}/healthz"
        return Part("nginx", command, self.folder / "logs" / "nginx.log", lambda: answers(health))

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def render_template(template: str, **values: str) -> str:
    """The nginx template with its `${ANTREAN_...}` names filled in (nginx's own `$host`
    and the like are left alone), as the nginx image's envsubst does in docker compose."""
    named = {name or braced for _, name, braced, _ in string.Template.pattern.findall(template)}
    missing = {name for name in named if name.startswith("ANTREAN_") and name not in values}
    if missing:
        raise ValueError(f"the nginx template needs {', '.join(sorted(missing))}")
    return string.Template(template).safe_substitute(values)


def _nginx_main(directory: Path) -> str:
    temp = directory / "tmp"
    # Run as root (a test box, a container), nginx's workers would drop to "nobody", who
    # may not read this folder; as anyone else they stay who started them.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {directory}/nginx.pid;
error_log {directory.parent}/logs/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {directory.parent}/logs/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/antrean.conf;
}}
"""


def lan_certificate(folder: Path, also: Sequence[str] = ()) -> tuple[Path, Path]:
    """A self-signed certificate for this machine on the LAN (made once, then reused):
    localhost, the host name, its addresses, and the names or addresses in `also`."""
    cert, key = folder / "antrean.crt", folder / "antrean.key"
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname()
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(host)]
    addresses = lan_addresses()
    for name in also:
        try:
            addresses.add(str(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(addresses)]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"antrean {host}")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        # Browsers refuse server certificates valid for more than 825 days.
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def lan_addresses() -> set[str]:
    """This machine's addresses: loopback, the host name's, and the one it routes out of."""
    found = {"127.0.0.1", "::1"}
    with contextlib.suppress(OSError):
        found |= {str(a[4][0]) for a in socket.getaddrinfo(socket.gethostname(), None)}
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent: only the route is looked up
        found.add(str(s.getsockname()[0]))
    return {a.split("%")[0] for a in found}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- the command ---------------------------------------------------------------------------


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    cluster = commands.add_parser(
        "cluster", help="redis-server, two antrean processes and nginx in front (no docker)"
    )
    cluster.add_argument("--port", type=int, default=8080, help="the proxy's http port")
    cluster.add_argument("--https-port", type=int, default=8443, help="the proxy's https port")
    cluster.add_argument("--folder", default="data-cluster", help="where everything is kept")
    cluster.add_argument("--venue", default=None, help="venue TOML file (default: the demo)")
    cluster.add_argument("--cert", default=None, help="your own certificate (PEM)")
    cluster.add_argument("--key", default=None, help="its private key (PEM)")
    return cluster


def add_certificate_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    made = commands.add_parser(
        "certificate", help="make a self-signed https certificate for this server on the LAN"
    )
    made.add_argument("--folder", default="tls", help="where antrean.crt and antrean.key go")
    made.add_argument(
        "--name", action="append", default=[], help="a LAN host name or address (repeatable)"
    )
    made.set_defaults(handler=_certificate)


def _certificate(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if (folder / "antrean.crt").exists():
        print(f"antrean: {folder / 'antrean.crt'} exists: delete it to make a new one")
        return 1
    cert, key = lan_certificate(folder, args.name)
    print(f"antrean: certificate {cert} (key {key}); install {cert} on the venue's devices")
    return 0


def run(args: argparse.Namespace, print_urls: Callable[[Cluster], None]) -> int:
    """Start the cluster, print its screens' URLs (`print_urls`, then its own lines), and
    keep it up until Ctrl-C or SIGTERM (0) or until a part stops by itself (1)."""
    if bool(args.cert) != bool(args.key):
        print("antrean cluster: give both --cert and --key, or neither", file=sys.stderr)
        return 2
    cluster = Cluster(
        Path(args.folder),
        args.port,
        args.https_port,
        args.venue,
        Path(args.cert).resolve() if args.cert else None,
        Path(args.key).resolve() if args.key else None,
    )
    # A flag, not a threading.Event: setting an Event from a signal handler can deadlock
    # with the main thread waiting on the same Event.
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda received, _: stopping.append(received))
    try:
        cluster.start(lambda: bool(stopping))
    except ClusterError as error:
        print(f"antrean cluster: {error}", file=sys.stderr)
        return 1
    except StopRequested:
        print("antrean cluster: stopping", flush=True)
        return 0
    try:
        _announce(cluster, print_urls)
        while not stopping:
            time.sleep(0.2)
            dead = cluster.dead()
            if dead is not None:
                print(
                    f"antrean cluster: {dead.name} stopped; stopping the rest. Its log: {dead.log}",
                    file=sys.stderr,
                )
                return 1
        print("antrean cluster: stopping", flush=True)
        return 0
    finally:
        cluster.stop()


def _announce(cluster: Cluster, print_urls: Callable[[Cluster], None]) -> None:
    print_urls(cluster)
    lines = [
        f"  over https        {cluster.https_url}   (certificate: {cluster.cert})",
        *(
            f"  process {n}         {url}   (direct, for checks)"
            for n, url in enumerate(cluster.replica_urls, start=1)
        ),
        f"  redis             {cluster.redis_url}   (AOF in {cluster.folder / 'redis'})",
        f"  logs              {cluster.folder / 'logs'}",
        "  Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)
