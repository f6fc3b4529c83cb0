"""CPU time and memory of processes, read from /proc (Linux)."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcSample:
    pid: int
    at: float  # time.monotonic()
    cpu_seconds: float  # user + system
    rss_kb: int
    alive: bool = True


def sample(pid: int) -> ProcSample:
    """CPU seconds (utime + stime from /proc/PID/stat) and VmRSS (kB) of ``pid`` now."""
    now = time.monotonic()
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return ProcSample(pid, now, 0.0, 0, alive=False)
    # The command name (field 2) may hold spaces: fields are counted after its closing ')'.
    fields = stat[stat.rindex(b")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    rss = 0
    for line in status.splitlines():
        if line.startswith(b"VmRSS:"):
            rss = int(line.split()[1])
            break
    return ProcSample(pid, now, cpu, rss)


def cpu_percent(before: ProcSample, after: ProcSample) -> float:
    """Percent of one core used between two samples of the same process."""
    elapsed = after.at - before.at
    if elapsed <= 0 or not (before.alive and after.alive):
        return 0.0
    return 100.0 * (after.cpu_seconds - before.cpu_seconds) / elapsed


def self_cpu_seconds() -> float:
    """This process's user + system CPU seconds (what /proc/self/stat holds)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class MachineSample:
    at: float
    busy: float  # jiffies spent not idle, all cores
    total: float


def machine() -> MachineSample:
    """Machine-wide CPU counters from /proc/stat (all cores)."""
    with open("/proc/stat", "rb") as f:
        first = f.readline().split()
    values = [int(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already in user/nice
    return MachineSample(time.monotonic(), (total - idle) / CLK_TCK, total / CLK_TCK)


def machine_busy_cores(before: MachineSample, after: MachineSample) -> float:
    """Cores' worth of CPU the whole machine used between two samples."""
    elapsed = after.at - before.at
    return (after.busy - before.busy) / elapsed if elapsed > 0 else 0.0


def raise_fd_limit(wanted: int | None = None) -> int:
    """Raise RLIMIT_NOFILE to ``wanted`` (default: the hard limit); the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if wanted is None else min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft
