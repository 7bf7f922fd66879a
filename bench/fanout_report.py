"""The fan-out benchmark's figures: what one run measured, printed as tables and ratios."""

import argparse
import os
from dataclasses import asdict, dataclass, field

from bench.measure import CpuUse, Summary

P99_LIMIT_S = 0.5
TARGET_MEDIAN_RATIO = 0.8
TARGET_CPU_RATIO = 1.0
TARGET_SATURATION_RATIO = 0.8
TARGET_TYPING_STORM_RATIO = 1.2


@dataclass
class Sequential:
    """Messages sent one at a time, each after the previous one reached every member."""

    messages: int
    per_member: Summary
    all_members: Summary
    ack: Summary
    messages_per_second: float
    cpu: CpuUse


@dataclass
class Step:
    """One saturation step: a paced stream at ``rate`` messages per second."""

    rate: float
    sent_per_second: float
    messages: int
    per_member: Summary
    ack: Summary
    lost: int
    cpu: CpuUse
    ok: bool


@dataclass
class Saturation:
    """The steps tried, in order; the best is the highest rate that kept p99 under 500 ms."""

    steps: list[Step] = field(default_factory=list)

    @property
    def best(self) -> Step | None:
        passed = [step for step in self.steps if step.ok]
        return max(passed, key=lambda step: step.rate) if passed else None


@dataclass
class ServerResult:
    """Everything measured on one server kind (``keyroom`` or ``naive``)."""

    server: str
    sequential: Sequential | None = None
    saturation: Saturation | None = None
    storm: Sequential | None = None  # sequential again while every member types (keyroom)
    typing_frames: int = 0  # typing frames the members sent during ``storm``


def describe_step(step: Step) -> str:
    """Return a one-line account of a saturation step, printed as the search goes."""
    latency = step.per_member
    verdict = "ok" if step.ok else "over"
    return (
        f"sent {step.sent_per_second:g}/s, median {fmt(latency.median)} ms, "
        f"p99 {fmt(latency.p99)} ms, lost {step.lost}, ack median {fmt(step.ack.median)} ms, "
        f"server CPU {fmt(step.cpu.server_ms_per_message)} ms/msg, {verdict}"
    )


def fmt(value: float | None) -> str:
    if value is None:
        return "lost"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def print_sequential(results: list[ServerResult]) -> None:
    header = (
        f"{'server':<14} {'median':>7} {'p95':>7} {'p99':>7} {'all med':>8} {'all p99':>8} "
        f"{'ack med':>8} {'msg/s':>7} {'CPU/msg':>8} {'db+redis':>9} {'load':>10} {'client':>7}"
    )
    print(header)
    rows = [(result.server, result.sequential) for result in results]
    rows += [(f"{r.server}+typing", r.storm) for r in results if r.storm]
    for server, seq in rows:
        if seq is None:
            continue
        load = "+".join(f"{share:.0%}" for share in seq.cpu.server_load)
        print(
            f"{server:<14} {fmt(seq.per_member.median):>7} {fmt(seq.per_member.p95):>7} "
            f"{fmt(seq.per_member.p99):>7} {fmt(seq.all_members.median):>8} "
            f"{fmt(seq.all_members.p99):>8} {fmt(seq.ack.median):>8} "
            f"{seq.messages_per_second:>7.1f} {fmt(seq.cpu.server_ms_per_message):>8} "
            f"{fmt(seq.cpu.services_ms_per_message):>9} {load:>10} {seq.cpu.client_load:>7.0%}"
        )
    print(
        "(ms; median/p95/p99 over every receipt at every member; 'all': until the last member "
        "had it; CPU/msg: daphne user+sys; db+redis: PostgreSQL + Redis processes; load: share "
        "of one core per daphne process; client: this process)"
    )


def print_saturation(results: list[ServerResult]) -> None:
    for result in results:
        if result.saturation is None:
            continue
        best = result.saturation.best
        if best is None:
            print(f"{result.server:<8} no tested rate kept p99 under {P99_LIMIT_S * 1000:.0f} ms")
            continue
        load = "+".join(f"{share:.0%}" for share in best.cpu.server_load)
        print(
            f"{result.server:<8} {best.rate:>6g} msg/s with p99 < {P99_LIMIT_S * 1000:.0f} ms "
            f"(median {fmt(best.per_member.median)} ms, p99 {fmt(best.per_member.p99)} ms, "
            f"CPU {fmt(best.cpu.server_ms_per_message)} ms/msg, server load {load}, "
            f"client {best.cpu.client_load:.0%}; {len(result.saturation.steps)} steps)"
        )


def compute_ratios(results: list[ServerResult]) -> dict[str, float | None]:
    by_kind = {result.server: result for result in results}
    keyroom, naive = by_kind.get("keyroom"), by_kind.get("naive")
    ratios: dict[str, float | None] = {}
    if keyroom and keyroom.storm and keyroom.sequential:
        quiet, storm = keyroom.sequential, keyroom.storm
        ratios["typing_storm_median"] = ratio(storm.per_member.median, quiet.per_member.median)
        ratios["typing_storm_p95"] = ratio(storm.per_member.p95, quiet.per_member.p95)
    if keyroom is None or naive is None:
        return ratios
    if keyroom.sequential and naive.sequential:
        ratios["median"] = ratio(
            keyroom.sequential.per_member.median, naive.sequential.per_member.median
        )
        ratios["cpu_per_message"] = ratio(
            keyroom.sequential.cpu.server_ms_per_message,
            naive.sequential.cpu.server_ms_per_message,
        )
    if keyroom.saturation and naive.saturation:
        ratios["saturation"] = ratio(best_rate(keyroom), best_rate(naive))
    return ratios


def print_ratios(ratios: dict[str, float | None]) -> None:
    for key, name in (("typing_storm_median", "median"), ("typing_storm_p95", "p95")):
        if key in ratios:
            value = ratios[key]
            shown = "n/a" if value is None else f"{value:.2f}"
            print(
                f"keyroom typing storm / quiet room {name} delivery ratio: {shown} "
                f"(target <= {TARGET_TYPING_STORM_RATIO})"
            )
    lines = {
        "median": ("median", f"<= {TARGET_MEDIAN_RATIO}"),
        "cpu_per_message": ("CPU per message", f"<= {TARGET_CPU_RATIO}"),
        "saturation": ("saturation rate", f">= {TARGET_SATURATION_RATIO}"),
    }
    for key, (name, target) in lines.items():
        if key in ratios:
            value = ratios[key]
            shown = "n/a" if value is None else f"{value:.2f}"
            print(f"keyroom/naive {name} ratio: {shown} (target {target})")


def report(
    options: argparse.Namespace, backend: str, load: float, results: list[ServerResult]
) -> dict:
    """Print the tables and the Keyroom / naive ratios; return every figure, JSON-ready."""
    print()
    print(
        f"Fan-out to {options.members} members (+1 sender), {backend}, "
        f"{options.processes} daphne process{'es' if options.processes > 1 else ''}, "
        f"{os.cpu_count()} CPUs, load average {load:.2f} before the run"
    )
    if any(result.sequential for result in results):
        print(f"\nSequential: {options.messages} messages one at a time, after {options.warmup}")
        if any(result.storm for result in results):
            storm = next(result for result in results if result.storm)
            print(
                f"keyroom+typing: the same while all {options.members} members send typing "
                f"every {options.typing_interval:g} s ({storm.typing_frames} typing frames)"
            )
        print_sequential(results)
    if any(result.saturation for result in results):
        print(f"\nSaturation: highest paced rate, {options.step_seconds:g} s per step")
        print_saturation(results)
    ratios = compute_ratios(results)
    if ratios:
        print()
        print_ratios(ratios)
    return {
        "config": {**vars(options), "backend": backend, "cpus": os.cpu_count(), "load": load},
        "results": [{**asdict(result), "best_rate": best_rate(result)} for result in results],
        "ratios": ratios,
    }


def best_rate(result: ServerResult) -> float | None:
    best = result.saturation.best if result.saturation else None
    return best.rate if best else None
