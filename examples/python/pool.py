#!/usr/bin/env python3
"""Why parallel Python workers repeat "random" numbers, and gpurand's answer.

A multiprocessing.Pool with one worker per core maps 100 calls (chunksize 1;
each call works 5 ms, as real tasks do) and each call draws 8 numbers. It
runs the seeding patterns that real code falls into,
then a module-level gpurand.Generator():

  legacy-after-parent-draw  np.random.random() in the workers, after the parent
                            drew once (the parent's state is copied by fork)
  module-default-rng        a module-level np.random.default_rng() (NumPy does
                            not reseed user generators after fork)
  randomstate-pid           np.random.RandomState(os.getpid()) per call
  randomstate-urandom1      np.random.RandomState(int.from_bytes(os.urandom(1)))
                            per call: only 256 seeds
  gpurand                   a module-level gpurand.Generator()

For each it prints the first values that repeat (collections.Counter, as a
user would look) and gpurand.audit's verdict over all 100 x 8 values.

    python examples/python/pool.py [--start-method fork|forkserver|spawn]

Exit status 0 only when gpurand's values are all distinct and its audit is
clean (1 otherwise). What the NumPy patterns show depends on the start
method: fork copies the parent's state, forkserver and spawn start fresh
interpreters, so the first two patterns only break under fork.
"""

import argparse
import collections
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np

import gpurand

K = 8  # values per call
WORK_SECONDS = 0.005  # each call "works" a little, as real tasks do, so every worker gets some

# Module-level generators, as users write them. Under fork every worker
# inherits these objects; under forkserver/spawn each worker re-imports this
# module and makes its own.
_NUMPY_RNG = np.random.default_rng()
_GPURAND = gpurand.Generator()


def legacy(_):
    time.sleep(WORK_SECONDS)
    return np.random.random(K)


def module_default_rng(_):
    time.sleep(WORK_SECONDS)
    return _NUMPY_RNG.random(K)


def randomstate_pid(_):
    time.sleep(WORK_SECONDS)
    return np.random.RandomState(os.getpid()).random_sample(K)


def randomstate_urandom1(_):
    time.sleep(WORK_SECONDS)
    return np.random.RandomState(int.from_bytes(os.urandom(1), "little")).random_sample(K)


def gpurand_module_generator(_):
    time.sleep(WORK_SECONDS)
    return _GPURAND.random(K)


PATTERNS = [
    ("legacy-after-parent-draw", legacy),
    ("module-default-rng", module_default_rng),
    ("randomstate-pid", randomstate_pid),
    ("randomstate-urandom1", randomstate_urandom1),
    ("gpurand", gpurand_module_generator),
]


def run(method, workers, tasks):
    ctx = mp.get_context(method)
    np.random.random()  # the parent draws once before the pools start
    results = {}
    for name, fn in PATTERNS:
        with ctx.Pool(workers) as pool:
            rows = np.array(pool.map(fn, range(tasks), chunksize=1), dtype=np.float64)
        firsts = collections.Counter(rows[:, 0].tolist())
        repeats = {v: c for v, c in firsts.items() if c > 1}
        repeated_calls = sum(repeats.values())
        all_distinct = len(np.unique(rows)) == rows.size
        report = gpurand.audit(rows)
        print(f"{name}:")
        print(f"  {repeated_calls} of {tasks} first values repeated"
              + (f"; most common: {collections.Counter(firsts).most_common(3)}" if repeats
                 else ""))
        print(f"  all {rows.size} values distinct: {all_distinct}")
        print(f"  audit: {report.verdict} (duplicate streams {report.duplicate_streams}, "
              f"overlapping runs {report.overlap_runs}, value collisions "
              f"{report.value_collisions} vs {report.expected_collisions:.3g} expected, "
              f"p = {report.p_value:.3g})")
        results[name] = {
            "repeated_calls": repeated_calls,
            "all_distinct": all_distinct,
            "clean": report.clean,
            "duplicate_streams": report.duplicate_streams,
        }
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", choices=["fork", "forkserver", "spawn"], default="fork")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="pool size (default: one per core)")
    parser.add_argument("--tasks", type=int, default=100, help="calls mapped (default 100)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers: must be positive, got {args.workers}")
    if args.tasks < 1:
        parser.error(f"--tasks: must be positive, got {args.tasks}")
    print(f"start method {args.start_method}, {args.workers} workers, {args.tasks} calls x "
          f"{K} values each")
    results = run(args.start_method, args.workers, args.tasks)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    ok = results["gpurand"]["all_distinct"] and results["gpurand"]["clean"]
    print("gpurand: " + (f"all {args.tasks * K} values distinct, clean audit" if ok
                         else "FAILED: repeated values or a dirty audit"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
