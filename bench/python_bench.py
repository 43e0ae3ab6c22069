#!/usr/bin/env python3
"""gpurand's Python fill against NumPy's generators, in one run on one machine.

    python bench/python_bench.py [--n 16777216] [--repeats 7] [--markdown FILE]

Cases (float32 uniforms, the same n, written into one pre-touched array with
out= so that every case measures generation, not allocation; the median of
--repeats timed runs after one warm-up):

  gpurand      gpurand.Generator(backend=auto).random(n, np.float32, out=a)
               (the CPU backend uses every usable core)
  gpurand-1cpu the same with GPURAND_CPU_THREADS=1 (one core, as NumPy uses)
  numpy-philox np.random.Generator(np.random.Philox()).random(n, np.float32, out=a)
  numpy-pcg64  np.random.Generator(np.random.PCG64()).random(n, np.float32, out=a)
  systemrandom random.SystemRandom().random() in a loop (the safe choice users fall
               back to; timed on fewer values, it is ~1000x slower)

The target (issue 11): gpurand >= 5x numpy-philox. Timed performance is
never asserted in unit tests; this script prints the ratio and exits 0.
"""

import argparse
import datetime
import os
import platform
import random
import statistics
import subprocess
import sys
import time

import numpy as np

import gpurand


def median_seconds(fn, repeats):
    fn()  # warm-up: page faults, thread start-up, CPU frequency
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1 << 24, help="values per fill (default 2^24)")
    p.add_argument("--repeats", type=int, default=7, help="timed runs per case (default 7)")
    p.add_argument("--system-n", type=int, default=1 << 17,
                   help="values for random.SystemRandom (default 2^17)")
    p.add_argument("--markdown", metavar="FILE", help="also write the result as Markdown")
    args = p.parse_args(argv)
    for name in ("n", "repeats", "system_n"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')}: must be positive, got {getattr(args, name)}")

    n = args.n
    a = np.empty(n, np.float32)
    a.fill(0)  # pre-touch
    g = gpurand.Generator()
    philox = np.random.Generator(np.random.Philox())
    pcg = np.random.Generator(np.random.PCG64())
    sysrand = random.SystemRandom()
    m = args.system_n

    def one_core():
        old = os.environ.get("GPURAND_CPU_THREADS")
        os.environ["GPURAND_CPU_THREADS"] = "1"  # read by the library on every fill
        try:
            g.random(n, np.float32, out=a)
        finally:
            if old is None:
                del os.environ["GPURAND_CPU_THREADS"]
            else:
                os.environ["GPURAND_CPU_THREADS"] = old

    load = os.getloadavg()
    cases = [
        ("gpurand", n, lambda: g.random(n, np.float32, out=a)),
        ("gpurand-1cpu", n, one_core),
        ("numpy-philox", n, lambda: philox.random(n, np.float32, out=a)),
        ("numpy-pcg64", n, lambda: pcg.random(n, np.float32, out=a)),
        ("systemrandom", m, lambda: [sysrand.random() for _ in range(m)]),
    ]
    rows = []
    for name, count, fn in cases:
        med, best = median_seconds(fn, args.repeats if name != "systemrandom" else 3)
        rows.append((name, count, med, best, count / med))
    base = {r[0]: r[4] for r in rows}
    load_after = os.getloadavg()

    header = (f"{'case':<13} {'n':>9} {'median s':>10} {'best s':>10} {'Mvalues/s':>10} "
              f"{'vs numpy-philox':>16}")
    lines = [header]
    for name, count, med, best, rate in rows:
        lines.append(f"{name:<13} {count:>9} {med:>10.4g} {best:>10.4g} {rate / 1e6:>10.1f} "
                     f"{rate / base['numpy-philox']:>15.2f}x")
    ratio = base["gpurand"] / base["numpy-philox"]
    verdict = (f"gpurand / numpy-philox = {ratio:.2f}x (target >= 5x: "
               f"{'met' if ratio >= 5 else 'MISSED'})")
    table = "\n".join(lines)
    print(f"gpurand {gpurand.__version__} backend {g.backend}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs ({cpu_model()}), load average {load[0]:.2f} before, "
          f"{load_after[0]:.2f} after")
    print(table)
    print(verdict)

    if args.markdown:
        cmd = "python " + " ".join([os.path.relpath(__file__)] + (argv or sys.argv[1:]))
        try:
            rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                                 ).stdout.strip()
        except OSError:
            rev = "unknown"
        now = datetime.datetime.now(datetime.timezone.utc)
        with open(args.markdown, "w") as f:
            f.write(f"# Python bench: gpurand vs NumPy, {now:%Y-%m-%d}\n\n")
            f.write(f"- **Date**: {now:%Y-%m-%d %H:%M} UTC, commit {rev}.\n")
            f.write(f"- **Machine**: {os.cpu_count()} CPUs, {cpu_model()}; Python "
                    f"{platform.python_version()}, numpy {np.__version__}, gpurand backend "
                    f"{g.backend}.\n")
            f.write(f"- **Load**: load average {load[0]:.2f} before the run, "
                    f"{load_after[0]:.2f} after.\n")
            f.write(f"- **Command** (after `pip install .`):\n\n  ```sh\n  {cmd}\n  ```\n\n")
            f.write("Float32 uniforms into one pre-touched array (`out=`); median of the timed "
                    "runs after a warm-up.\n\n```\n" + table + "\n```\n\n" + verdict + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
