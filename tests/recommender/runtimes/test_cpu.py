"""recommender.runtimes.cpu: the cores a process may use, and VNNI."""

from recommender.runtimes import cpu


def test_vnni_is_read_from_the_cpus_flags(tmp_path):
    for number, (flags, expected) in enumerate(
        (("avx2 avx512f avx512_vnni", True), ("avx2 avx_vnni", True), ("avx2 fma", False))
    ):
        cpuinfo = tmp_path / f"cpuinfo{number}"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: fpu sse2 {flags}\n")
        assert cpu.cpu_has_vnni(cpuinfo) is expected
    assert cpu.cpu_has_vnni(tmp_path / "missing") is False  # no /proc/cpuinfo: not Linux


def test_a_containers_cpu_quota_caps_the_cores(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    every_core = cpu.available_cores(tmp_path / "missing")  # no cgroup v2 file: the affinity
    cpu_max.write_text("max 100000\n")  # no quota
    assert cpu.available_cores(cpu_max) == every_core
    cpu_max.write_text("100000 100000\n")  # --cpus=1
    assert cpu.available_cores(cpu_max) == 1
    cpu_max.write_text("50000 100000\n")  # --cpus=0.5
    assert cpu.available_cores(cpu_max) == 1
