"""What a running app tells Prometheus: commands, appends, screens, waiting tickets.

One `Metrics` per app, each in its own registry (never the process-wide default), so two
apps in one process (tests, a benchmark) count apart. Each number is counted where its
thing happens, once: the queue counts commands and times its appends (`server.service`),
the socket counts connections and why they ended (`server.web.socket`). Tickets waiting
are not counted at all: they are read from the state at scrape time, from the per-service
tally the state already keeps, so a scrape costs O(services) and an event costs nothing
more. Nothing here touches the store: `/metrics` answers during an outage too.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from server.domain.state import State
from server.domain.venue import Venue

# A SQLite append with synchronous=FULL is a disk flush (about a millisecond on an SSD,
# tens on an SD card); a Redis one a LAN round trip. The top buckets catch a stalled store.
APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# From 20 microseconds to about 4 s, each bucket 1.5 times the one before: fine enough for a
# benchmark to read p50 and p99 of the publishing path from two scrapes.
FINE_BUCKETS = tuple(round(20e-6 * 1.5**n, 7) for n in range(31))
# When the command being carried out in this context arrived (perf_counter seconds).
ARRIVED: contextvars.ContextVar[float] = contextvars.ContextVar("arrived")
# The same, once its own events are durable and being applied: taken when the first view they
# change is framed for the screens (`Metrics.published`). Views of other processes' events
# caught up on before are not the command's. A list, shared by the contexts its rooms'
# publishing callbacks copy: taken once in all.
APPLYING: contextvars.ContextVar[list[float]] = contextvars.ContextVar("applying")


class Metrics:
    """Every metric of one app, in one registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        at = self.registry
        self.commands = Counter(
            "antrean_commands",
            "Commands carried out, by command type; duplicate=true for a retried command_id.",
            ["type", "duplicate"],
            registry=at,
        )
        self.refusals = Counter(
            "antrean_command_refusals",
            "Commands refused, by the code the API answers.",
            ["code"],
            registry=at,
        )
        self.append_seconds = Histogram(
            "antrean_append_seconds",
            "Time of one append to the event log as the queue makes it (conflicts included).",
            ["backend"],
            buckets=APPEND_BUCKETS,
            registry=at,
        )
        self.prepare_seconds = Histogram(
            "antrean_command_to_frame_seconds",
            "From a command's arrival to its first view framed for the screens: the queue's"
            " turn, decide, append, projection and encoding; the broadcast is not in it.",
            buckets=FINE_BUCKETS,
            registry=at,
        )
        self.broadcast_seconds = Histogram(
            "antrean_broadcast_seconds",
            "Handing one framed message to every screen of its topic.",
            buckets=FINE_BUCKETS,
            registry=at,
        )
        self.connections = Gauge(
            "antrean_websocket_connections", "Screens connected to /ws now.", registry=at
        )
        self.disconnects = Counter(
            "antrean_websocket_disconnects",
            "Screens gone from /ws, by reason (too_slow is close code 4008).",
            ["reason"],
            registry=at,
        )
        ProcessCollector(registry=at)
        PlatformCollector(registry=at)
        GCCollector(registry=at)

    def published(self, framed: float, sent: float) -> None:
        """The hub framed a message at `framed` and handed it to every screen by `sent`
        (perf_counter seconds); the first of a command's messages also ends its prepare time."""
        applying = APPLYING.get(None)
        if applying:
            self.prepare_seconds.observe(framed - applying.pop())
        self.broadcast_seconds.observe(sent - framed)

    @staticmethod
    def command_arrived() -> None:
        """A command starts here (the queue calls it in the command's own context)."""
        ARRIVED.set(time.perf_counter())
        APPLYING.set([])

    @staticmethod
    def applying() -> None:
        """The command's own events are durable and about to be applied."""
        arrived = ARRIVED.get(None)
        if arrived is not None:
            APPLYING.set([arrived])

    def watch(self, venue: Venue, state: State) -> None:
        """Report the log position and the tickets waiting per service of this state."""
        self.registry.register(_Queue(venue, state))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class _Queue(Collector):
    """Read at scrape time from the state's own tallies: O(services) per scrape."""

    def __init__(self, venue: Venue, state: State) -> None:
        self._venue, self._state = venue, state

    def collect(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily(
            "antrean_tickets_waiting",
            "Tickets waiting (not called yet), per service.",
            labels=["service"],
        )
        counts = self._state.tallies.waiting
        for service in self._venue.services:
            waiting.add_metric([service], counts.get(service, 0))
        yield waiting
        yield GaugeMetricFamily(
            "antrean_log_seq", "The queue's position in the event log.", value=self._state.seq
        )

    def describe(self) -> Iterator[Metric]:
        return iter(())
