"""Generator.integers: exactly unbiased bounded integers (Lemire with rejection)."""

import numpy as np
import pytest

import gpurand


def lemire_reference(seed, low, span, n):
    """Re-derive integers() from bits() of a same-seeded generator, following the
    documented protocol, with Python's exact integers."""
    g = gpurand.Generator(seed=seed)
    wide = span > 1 << 32
    w = 64 if wide else 32
    threshold = (1 << w) % span
    out = [None] * n
    pending = list(range(n))
    rounds = 0
    while pending:
        rounds += 1
        b = [int(v) for v in g.bits(len(pending) * (2 if wide else 1))]
        rejected = []
        for j, i in enumerate(pending):
            x = b[2 * j] | (b[2 * j + 1] << 32) if wide else b[j]
            m = x * span
            if m % (1 << w) < threshold:
                rejected.append(i)
            else:
                out[i] = low + (m >> w)
        pending = rejected
    return out, rounds


@pytest.mark.parametrize("low,high,dtype", [
    (0, 3, np.int64),
    (-5, 5, np.int32),
    (0, (1 << 31) + 1, np.int64),   # ~half of all draws rejected
    (0, 1 << 32, np.uint32),         # the whole u32 range: nothing to reject
    (-(1 << 40), 1 << 40, np.int64),  # two words per value
    (0, (1 << 63) + 12345, np.uint64),
    (-(1 << 63), (1 << 63) - 1, np.int64),
])
def test_integers_match_the_documented_protocol(low, high, dtype):
    span = high - low
    got = gpurand.Generator(seed=77).integers(low, high, 2000, dtype)
    want, rounds = lemire_reference(77, low, span, 2000)
    assert got.dtype == dtype
    assert [int(v) for v in got] == want
    assert all(low <= v < high for v in want)
    if span == (1 << 31) + 1:
        assert rounds > 1  # rejection really happened


def test_full_uint64_range_and_endpoint():
    g = gpurand.Generator(seed=3)
    full = g.integers(0, 1 << 64, 4, np.uint64)
    bits = gpurand.Generator(seed=3).bits(8).astype(np.uint64)
    np.testing.assert_array_equal(full, bits[0::2] | (bits[1::2] << np.uint64(32)))
    both = gpurand.Generator(seed=1).integers(0, 1, 1000, endpoint=True)
    assert set(both.tolist()) == {0, 1}
    assert gpurand.Generator(seed=1).integers(5, 6, 10).tolist() == [5] * 10


def test_integers_are_uniform_where_a_biased_map_is_not():
    # span = 3 * 2^30: x % span would give values below 2^30 twice the weight
    # (P = 1/2 instead of 1/3). Rejection keeps every value equally likely.
    span = 3 << 30
    v = gpurand.Generator(seed=12).integers(0, span, 300000)
    frac = float(np.mean(v < (1 << 30)))
    assert abs(frac - 1 / 3) < 0.01
    counts = np.bincount(gpurand.Generator(seed=13).integers(0, 3, 300000), minlength=3)
    chi2 = float(((counts - 100000.0) ** 2 / 100000.0).sum())
    assert chi2 < 20  # df = 2: p ~ 5e-5


def test_integers_shapes_and_defaults():
    g = gpurand.Generator(seed=1)
    x = g.integers(10)
    assert isinstance(x, np.int64) and 0 <= x < 10
    assert g.integers(0, 10, (2, 3)).shape == (2, 3)
    assert g.integers(0, 10, 0).shape == (0,)


@pytest.mark.parametrize("args,kwargs,exc,name", [
    ((5, 5), {}, ValueError, "low"),
    ((6, 5), {"endpoint": True}, ValueError, "low"),
    ((0, 1 << 31), {"dtype": np.int32, "endpoint": True}, ValueError, "high"),
    ((-1, 5), {"dtype": np.uint32}, ValueError, "low"),
    ((0, (1 << 64) + 1), {"dtype": np.uint64}, ValueError, "high"),
    ((0, 10), {"dtype": np.float64}, TypeError, "dtype"),
    ((0, 10), {"dtype": np.int16}, TypeError, "dtype"),
    ((0.5, 10), {}, TypeError, "low"),
    ((0, "10"), {}, TypeError, "high"),
    ((0, 10, -2), {}, ValueError, "size"),
])
def test_bad_integers_arguments(args, kwargs, exc, name):
    g = gpurand.Generator(seed=1)
    with pytest.raises(exc, match=f"^{name}"):
        g.integers(*args, **kwargs)
    assert g.offset == 0
