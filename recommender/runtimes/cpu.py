"""What this machine's CPU offers the runtimes: the cores this process may use, and VNNI."""

import functools
import os
import re
from pathlib import Path


def available_cores(cpu_max=Path("/sys/fs/cgroup/cpu.max")):
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota (a
    container's --cpus, which the affinity does not show), rounded up."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    try:
        quota, period = cpu_max.read_text().split()
        return max(1, min(cores, -(-int(quota) // int(period))))
    except (OSError, ValueError):  # no cgroup v2 file, or "max": no quota
        return cores


@functools.cache
def cpu_has_vnni(cpuinfo=Path("/proc/cpuinfo")):
    """Whether this CPU has x86's VNNI (AVX-512 VNNI or AVX-VNNI), which multiplies uint8 by
    int8 and adds into 32 bits. Without it ONNX Runtime and OpenVINO add pairs of those
    products in 16 bits (AVX2's vpmaddubsw), which saturate. Read from /proc/cpuinfo (Linux);
    elsewhere the int8 runtimes are not used, since they were measured only on such CPUs."""
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_vnni|avx_vnni)\b", flags) is not None
