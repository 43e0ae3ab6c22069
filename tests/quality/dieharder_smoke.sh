#!/usr/bin/env bash
# Statistical smoke test: gpurand's interleaved per-thread streams (draws
# round-robin across 65,536 thread streams, so correlation between streams
# shows up) piped into a few fast dieharder tests. Fails on any FAILED verdict.
#
#   dieharder_smoke.sh GPURAND_BINARY                     # the smoke test
#   dieharder_smoke.sh GPURAND_BINARY --negative-control  # must catch a repeated stream
set -u
gpurand=${1:?usage: dieharder_smoke.sh GPURAND_BINARY [--negative-control]}
mode=${2:-}
command -v dieharder >/dev/null || { echo "error: dieharder is not installed (Debian package dieharder)" >&2; exit 2; }
[ -x "$gpurand" ] || { echo "error: not an executable: $gpurand" >&2; exit 2; }
seed=20261124
# 65,536 threads; per-thread count large enough that dieharder, not the
# generator, decides when to stop (the generator then ends on SIGPIPE).
stream() { "$gpurand" generate --seed "$seed" --blocks 256 --threads 256 --per-thread 100000000 \
             --interleave --backend cpu 2>/dev/null; }

if [ "$mode" = "--negative-control" ]; then
  # A worker pool that shares state repeats one short stream over and over:
  # the same 4096 numbers, cycled. The birthday-spacings test must fail it.
  tmp=$(mktemp) && trap 'rm -f "$tmp"' EXIT
  "$gpurand" generate --seed "$seed" --count 4096 --output "$tmp" || exit 2
  out=$( (while cat "$tmp"; do :; done) 2>/dev/null | dieharder -g 200 -d 0 2>&1)
  echo "$out" | grep -E 'PASSED|WEAK|FAILED'
  if echo "$out" | grep -q FAILED; then echo "negative control: caught (FAILED as it must)"; exit 0; fi
  echo "negative control: a repeated stream was NOT caught" >&2
  exit 1
fi

# 0 birthdays, 2 32x32 rank, 15 runs, 100 STS monobit, 101 STS runs.
passed=0 weak=0 failed=0
for test in 0 2 15 100 101; do
  out=$(stream | dieharder -g 200 -d "$test" 2>&1)
  lines=$(echo "$out" | grep -E '\|\s*(PASSED|WEAK|FAILED)\s*$')
  if [ -z "$lines" ]; then echo "error: dieharder -d $test gave no verdict:"; echo "$out"; exit 1; fi
  echo "$lines"
  passed=$((passed + $(echo "$lines" | grep -c PASSED)))
  weak=$((weak + $(echo "$lines" | grep -c WEAK)))
  failed=$((failed + $(echo "$lines" | grep -c FAILED)))
done
echo "dieharder: $passed passed, $failed failed, $weak weak"
[ "$failed" -eq 0 ]
