"""Shared helpers for the gpurand Python suite."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

M0, M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32 multipliers (Salmon et al. 2011)
W0, W1 = 0x9E3779B9, 0xBB67AE85  # Weyl key increments
MASK32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    """Philox4x32-10 over numpy uint64 arrays holding 32-bit words (independent of the C++)."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in ctr)
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    for r in range(10):
        p0 = np.uint64(M0) * c0
        p1 = np.uint64(M1) * c2
        hi0, lo0 = p0 >> np.uint64(32), p0 & np.uint64(MASK32)
        hi1, lo1 = p1 >> np.uint64(32), p1 & np.uint64(MASK32)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        if r < 9:
            k0 = (k0 + np.uint64(W0)) & np.uint64(MASK32)
            k1 = (k1 + np.uint64(W1)) & np.uint64(MASK32)
    return [c.astype(np.uint32) for c in (c0, c1, c2, c3)]


def reference_bits(seed, n, offset=0):
    """The bulk layout of README: out[i] is lane i % 4 of curand4 from
    curand_init(seed, i // 4, offset) (offset a multiple of 4 here)."""
    assert offset % 4 == 0
    groups = (n + 3) // 4
    sub = np.arange(groups, dtype=np.uint64)
    block = offset // 4
    ctr = (np.full(groups, block & MASK32), np.full(groups, block >> 32),
           sub & np.uint64(MASK32), sub >> np.uint64(32))
    lanes = philox4x32_10(ctr, (seed & MASK32, seed >> 32))
    return np.stack(lanes, axis=1).reshape(-1)[:n]


def curand_uniform(bits):
    """curand_uniform(): x * 2^-32 + 2^-33 in float arithmetic."""
    return bits.astype(np.float32) * np.float32(2.0**-32) + np.float32(2.0**-33)


class DLPackOnly:
    """An array that speaks only DLPack (like a CPU torch tensor)."""

    def __init__(self, arr):
        self._arr = arr
        self.shape = arr.shape

    def __dlpack__(self, **kwargs):
        return self._arr.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._arr.__dlpack_device__()


class CudaInterfaceOnly:
    """A __cuda_array_interface__ producer (as Numba's) over host memory, so the
    interface parsing can run without a GPU (the library inspects the pointer)."""

    def __init__(self, arr, **overrides):
        self._arr = arr
        self.shape = arr.shape
        self.__cuda_array_interface__ = {
            "shape": arr.shape, "typestr": arr.dtype.str,
            "data": (arr.ctypes.data, False), "strides": None, "version": 3, "stream": None,
            **overrides}


def find_cli():
    """The gpurand CLI built from this tree: $GPURAND_CLI, else build/{ci,release,dev}/gpurand."""
    env = os.environ.get("GPURAND_CLI")
    if env:
        return env if os.access(env, os.X_OK) else None
    for preset in ("ci", "release", "dev", "asan"):
        p = REPO / "build" / preset / "gpurand"
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    return None


@pytest.fixture(scope="session")
def cli():
    path = find_cli()
    if path is None:
        pytest.skip("gpurand CLI not built (set GPURAND_CLI or build the ci preset: "
                    "cmake --preset ci && cmake --build --preset ci --target gpurand_cli)")
    return path


def cli_values(cli, seed, dist, count, dtype, *params):
    """The CLI's bulk fill (`params`: the distribution's flags, e.g. "--lambda", "2")."""
    out = subprocess.run([cli, "generate", "--seed", str(seed), "--dist", dist, "--count",
                          str(count), "--backend", "cpu", "--format", "raw", "--output", "-",
                          *params],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=dtype)
