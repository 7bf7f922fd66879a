"""Figures shared by the benchmarks: latency percentiles and CPU use over a phase."""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from time import perf_counter

from bench.harness import Daphne, service_cpu_seconds


@dataclass
class Summary:
    """Latency percentiles in milliseconds (None: more samples missing than the percentile)."""

    samples: int
    median: float | None
    p95: float | None
    p99: float | None


@dataclass
class CpuUse:
    """CPU spent while a phase ran, per message and as a share of one core."""

    server_ms_per_message: float
    server_load: list[float]  # one entry per daphne process
    services_ms_per_message: float  # PostgreSQL + Redis processes on this machine
    client_load: float  # this process (the websockets client)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of an ascending sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarize(seconds: list[float], *, missing: int = 0) -> Summary:
    """Return percentiles in ms; ``missing`` samples count as infinitely late."""
    ordered = sorted(seconds) + [math.inf] * missing
    if not ordered:
        return Summary(0, None, None, None)

    def ms(fraction: float) -> float | None:
        value = percentile(ordered, fraction)
        return None if math.isinf(value) else round(value * 1000, 2)

    return Summary(len(ordered), ms(0.5), ms(0.95), ms(0.99))


class CpuMeter:
    """Measure CPU of the servers, the database/Redis services and this client over a phase."""

    def __init__(self, servers: list[Daphne]) -> None:
        self.servers = servers
        self.wall = perf_counter()
        self.server_cpu = [server.cpu_seconds() for server in servers]
        self.services = service_cpu_seconds()
        self.client = time.process_time()

    def finish(self, messages: int) -> CpuUse:
        wall = perf_counter() - self.wall
        spent = [
            s.cpu_seconds() - cpu for s, cpu in zip(self.servers, self.server_cpu, strict=True)
        ]
        per_message = 1000 / max(messages, 1)
        return CpuUse(
            server_ms_per_message=round(sum(spent) * per_message, 2),
            server_load=[round(cpu / wall, 2) for cpu in spent],
            services_ms_per_message=round((service_cpu_seconds() - self.services) * per_message, 2),
            client_load=round((time.process_time() - self.client) / wall, 2),
        )
