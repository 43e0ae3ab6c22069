"""gpurand.BitGenerator under numpy.random.Generator: the capsule, the bits'
order, the lock, fork safety and spawning."""

import ctypes
import multiprocessing as mp
import time

import numpy as np
import pytest

import gpurand
from forkutil import in_forked_child

B = gpurand.BitGenerator.buffer_size


def u32_stream(seed, n):
    """The documented sequence: concatenated Generator(seed).bits(buffer_size) fills."""
    g = gpurand.Generator(seed=seed, backend="cpu")
    refills = -(-n // B)
    return np.concatenate([g.bits(B) for _ in range(refills)])[:n]


def as_u64(u32):
    u = u32.astype(np.uint64)
    return u[0::2] | (u[1::2] << np.uint64(32))


def test_capsule_is_a_numpy_bitgen():
    bg = gpurand.BitGenerator(seed=1)
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.restype = ctypes.c_int
    is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]
    assert is_valid(bg.capsule, b"BitGenerator") == 1
    assert is_valid(bg.capsule, b"other") == 0
    rng = np.random.Generator(bg)
    assert rng.bit_generator is bg
    assert 0 <= rng.random() < 1
    with bg.lock:
        assert bg.lock.locked()
    assert not bg.lock.locked()


def test_raw_and_uint32_follow_the_documented_order():
    n = 2 * B + 100  # crosses two refills
    stream = u32_stream(5, 2 * n)
    rng = np.random.Generator(gpurand.BitGenerator(seed=5))
    np.testing.assert_array_equal(rng.bit_generator.random_raw(n), as_u64(stream))
    bg = gpurand.BitGenerator(seed=5)
    np.testing.assert_array_equal(bg.random_uint32(3), stream[:3])
    assert bg.random_raw() == (int(stream[3]) | int(stream[4]) << 32)
    assert bg.random_raw(output=False) is None


def test_numpy_distributions_use_next_double_and_next_uint32():
    stream = u32_stream(9, 4000)
    rng = np.random.Generator(gpurand.BitGenerator(seed=9))
    want = (as_u64(stream)[:100] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    np.testing.assert_array_equal(rng.random(100), want)
    # NumPy's 32-bit uniform floats use next_uint32: (x >> 8) * 2^-24
    rng32 = np.random.Generator(gpurand.BitGenerator(seed=9))
    want32 = (stream[:100] >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    np.testing.assert_array_equal(rng32.random(100, dtype=np.float32), want32)


def test_every_numpy_distribution_runs():
    rng = np.random.Generator(gpurand.BitGenerator(seed=3))
    assert rng.integers(0, 10, 1000).max() <= 9
    assert abs(rng.standard_normal(100000).mean()) < 0.02
    assert sorted(rng.permutation(10).tolist()) == list(range(10))
    assert rng.choice(5, 3, replace=False).size == 3
    assert abs(rng.exponential(2.0, 100000).mean() - 2.0) < 0.05
    assert rng.poisson(3.0, 10).dtype == np.int64


def test_os_seeded_bitgenerator_is_fresh_in_a_forked_child():
    bg = gpurand.BitGenerator()
    rng = np.random.Generator(bg)
    rng.random()  # the parent fills its buffer; a child must not replay the rest
    child = in_forked_child(lambda: (bg.seed, bg.random_uint32(1000), rng.random(10)))
    parent = bg.random_uint32(1000)
    assert child[0] == "ok", child
    assert gpurand.audit(np.stack([parent, child[1][1]])).clean
    assert child[1][0] != bg.seed  # reseeded from the OS


def test_explicitly_seeded_bitgenerator_raises_fork_error_through_numpy():
    rng = np.random.Generator(gpurand.BitGenerator(seed=77))
    rng.random()
    for draw in (lambda: rng.random(3), lambda: rng.integers(0, 5),
                 lambda: rng.bit_generator.random_raw(2), lambda: rng.standard_normal()):
        res = in_forked_child(draw)
        assert res[0] == "err" and res[1] == "ForkError", res
        assert "BitGenerator(seed=77)" in res[2]
    assert rng.random() < 1  # the parent is unaffected


def _pool_draw(_):
    time.sleep(0.005)  # a little work, so that every worker takes calls
    return _MODULE_RNG.random(4)


_MODULE_RNG = np.random.Generator(gpurand.BitGenerator())


def test_module_level_bitgenerator_in_a_fork_pool_gives_distinct_values():
    _MODULE_RNG.random()  # the parent draws first: the buffered case
    with mp.get_context("fork").Pool(4) as pool:
        rows = np.array(pool.map(_pool_draw, range(100), chunksize=1))
    assert len(np.unique(rows)) == rows.size
    assert gpurand.audit(rows).clean


def test_spawn_gives_disjoint_bitgenerators():
    bg = gpurand.BitGenerator(seed=11)
    kids = bg.spawn(3)
    more = np.random.Generator(kids[0]).spawn(2)  # NumPy's Generator.spawn calls ours
    rows = [k.random_uint32(2048) for k in kids]
    rows += [m.bit_generator.random_uint32(2048) for m in more]
    rows.append(bg.random_uint32(2048))
    assert gpurand.audit(np.stack(rows)).clean
    # child i of n is Generator(seed).spawn(n)[i]'s stream
    np.testing.assert_array_equal(rows[1][:16], gpurand.Generator(seed=11, backend="cpu")
                                  .spawn(3)[1].bits(B)[:16])
    with pytest.raises(ValueError, match="already spawned"):
        np.random.Generator(bg).spawn(1)


@pytest.mark.parametrize("call,exc,name", [
    (lambda: gpurand.BitGenerator(seed=-3), ValueError, "seed"),
    (lambda: gpurand.BitGenerator(seed="x"), TypeError, "seed"),
    (lambda: gpurand.BitGenerator(seed=1).spawn(-1), ValueError, "n_children"),
    (lambda: gpurand.BitGenerator(seed=1).random_raw(-1), ValueError, "size"),
])
def test_bad_bitgenerator_arguments(call, exc, name):
    with pytest.raises(exc, match=f"^{name}"):
        call()


def test_bitgenerator_cannot_be_pickled():
    import pickle
    with pytest.raises(TypeError, match="repeat"):
        pickle.dumps(gpurand.BitGenerator(seed=1))
