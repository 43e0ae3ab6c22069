#!/usr/bin/env bash
# The full dieharder battery on gpurand's interleaved per-thread streams: a
# long run (hours), not part of CI. Usage:
#   dieharder_full.sh GPURAND_BINARY [SEED] [ENGINE]  > report.txt
# ENGINE is philox (default), xorwow or mrg32k3a. Grid: 65,536 threads.
set -u
gpurand=${1:?usage: dieharder_full.sh GPURAND_BINARY [SEED] [ENGINE]}
seed=${2:-20261124}
engine=${3:-philox}
command -v dieharder >/dev/null || { echo "error: dieharder is not installed" >&2; exit 2; }
echo "# gpurand $engine, seed $seed, 256 blocks x 256 threads, interleaved"
"$gpurand" generate --engine "$engine" --seed "$seed" --blocks 256 --threads 256 \
  --per-thread 1099511627776 --interleave 2>/dev/null | dieharder -g 200 -a
