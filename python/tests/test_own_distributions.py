"""Generator.exponential, bernoulli and discrete (gpurand's own distributions) and
DiscreteTable: bits equal the C++ fills (the CLI), the definitions over the raw Philox words,
out= arrays, and every bad argument named, consuming nothing."""

import numpy as np
import pytest

import gpurand
from conftest import (CudaInterfaceOnly, DLPackOnly, cli_values, curand_uniform,
                      reference_bits)

WEIGHTS = [1, 2, 3, 0, 4.5, 0.25, 7]
WEIGHTS_TEXT = "1,2,3,0,4.5,0.25,7"


# ---------------------------------------------------------------- bits equal the C++ fills

@pytest.mark.parametrize("scale", [1.0, 0.5, 3.0, 1e-3])
def test_exponential_equals_the_cli_fill_with_rate_one_over_scale(cli, scale):
    got = gpurand.Generator(seed=5, backend="cpu").exponential(scale, 1001)
    assert got.dtype == np.float32
    want = cli_values(cli, 5, "exponential", 1001, np.float32, "--lambda", repr(1.0 / scale))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.uint32])
def test_bernoulli_equals_the_cli_fill_in_every_dtype(cli, dtype):
    got = gpurand.Generator(seed=7, backend="cpu").bernoulli(0.3, 1003, dtype=dtype)
    assert got.dtype == dtype
    want = cli_values(cli, 7, "bernoulli", 1003, np.uint32, "--p", "0.3")
    np.testing.assert_array_equal(got.astype(np.uint32), want)


@pytest.mark.parametrize("dtype", [np.uint32, np.int64])
def test_discrete_equals_the_cli_fill_from_a_table_or_weights(cli, dtype):
    want = cli_values(cli, 9, "discrete", 1001, np.uint32, "--weights", WEIGHTS_TEXT)
    table = gpurand.DiscreteTable(WEIGHTS)
    for w in (table, WEIGHTS, np.array(WEIGHTS)):
        got = gpurand.Generator(seed=9, backend="cpu").discrete(w, 1001, dtype=dtype)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want.astype(dtype))


# ------------------------------------------------ the definitions over the raw Philox words

def test_bernoulli_is_a_threshold_on_the_bits():
    for p in (0.0, 0.3, 0.5, 1.0 - 2**-40, 1.0):
        got = gpurand.Generator(seed=11).bernoulli(p, 999, dtype=np.uint32)
        threshold = round(p * 2**32)  # exact: p * 2**32 is exact in double
        np.testing.assert_array_equal(got, reference_bits(11, 999) < threshold)


def test_exponential_is_minus_log_u_over_the_rate():
    scale = 2.5
    got = gpurand.Generator(seed=13).exponential(scale, 4000)
    u = curand_uniform(reference_bits(13, 4000)).astype(np.float64)
    rate = float(np.float32(1 / scale))
    np.testing.assert_allclose(got, -np.log(u) / rate, rtol=2e-6, atol=1e-6)


def test_discrete_never_draws_a_zero_weight_and_follows_the_weights():
    got = gpurand.Generator(seed=17).discrete(WEIGHTS, 200_000)
    counts = np.bincount(got, minlength=len(WEIGHTS))
    assert counts[3] == 0 and got.max() < len(WEIGHTS)
    w = np.array(WEIGHTS) / sum(WEIGHTS)
    # 6 binomial standard deviations per category
    assert np.all(np.abs(counts - w * 200_000) <= 6 * np.sqrt(200_000 * w * (1 - w)) + 1)
    assert np.all(gpurand.Generator(seed=1).discrete([0, 0, 5], 100) == 2)


def test_moments():
    g = gpurand.Generator(seed=19)
    e = g.exponential(2.0, 200_000).astype(np.float64)
    assert abs(e.mean() - 2.0) < 0.03 and e.min() >= 0
    b = g.bernoulli(0.25, 200_000)
    assert abs(b.mean() - 0.25) < 0.006
    assert not g.bernoulli(0.0, 1000).any() and g.bernoulli(1.0, 1000).all()


def test_calls_advance_the_offset_and_scalars():
    g = gpurand.Generator(seed=3)
    x = g.exponential()
    assert isinstance(x, np.float32) and x >= 0
    assert isinstance(g.bernoulli(0.5), np.bool_)
    assert isinstance(g.discrete([1, 1]), np.uint32)
    assert g.offset == 12  # one Philox block per call
    assert g.exponential(size=(2, 3)).shape == (2, 3)


# -------------------------------------------------------------------------------- out=

def test_out_fills_numpy_arrays_in_place():
    g = gpurand.Generator(seed=23)
    buf = np.zeros(100, np.float32)
    assert g.exponential(0.5, out=buf[10:30]) is not None
    np.testing.assert_array_equal(buf[10:30], gpurand.Generator(seed=23).exponential(0.5, 20))
    assert not buf[:10].any() and not buf[30:].any()
    flags = np.zeros((4, 5), np.bool_)
    assert g.bernoulli(0.5, out=flags) is flags
    assert flags.any() and not flags.all()
    cats = np.empty(50, np.int64)
    g2 = gpurand.Generator(seed=29)
    g2.discrete(WEIGHTS, out=cats, dtype=np.int64)
    np.testing.assert_array_equal(cats, gpurand.Generator(seed=29).discrete(WEIGHTS, 50))


def test_out_of_each_kind_equals_a_new_array():
    for call in (lambda g, **k: g.exponential(3.0, **k),
                 lambda g, **k: g.bernoulli(0.7, dtype=np.uint8, **k),
                 lambda g, **k: g.discrete(WEIGHTS, **k)):
        want = call(gpurand.Generator(seed=31), size=33)
        out = np.empty(33, want.dtype)
        assert call(gpurand.Generator(seed=31), out=out) is out
        np.testing.assert_array_equal(out, want)


def test_out_through_dlpack_and_cuda_array_interface():
    want = gpurand.Generator(seed=37).exponential(1.5, 24)
    backing = np.zeros(24, np.float32)
    gpurand.Generator(seed=37).exponential(1.5, out=DLPackOnly(backing))
    np.testing.assert_array_equal(backing, want)
    backing[:] = 0
    gpurand.Generator(seed=37).exponential(1.5, out=CudaInterfaceOnly(backing))
    np.testing.assert_array_equal(backing, want)
    cats = np.zeros(24, np.uint32)
    gpurand.Generator(seed=37).discrete(WEIGHTS, out=CudaInterfaceOnly(cats))
    np.testing.assert_array_equal(cats, gpurand.Generator(seed=37).discrete(WEIGHTS, 24))


def test_discrete_table_is_reusable():
    t = gpurand.DiscreteTable(np.array([0.5, 0.5, 1.0]))
    assert t.size == 3 and len(t) == 3 and "3" in repr(t)
    g = gpurand.Generator(seed=41)
    a, b = g.discrete(t, 100), g.discrete(t, 100)
    assert not np.array_equal(a, b)  # two calls, two windows
    h = gpurand.Generator(seed=41)
    np.testing.assert_array_equal(h.discrete(t, 100), a)


# ---------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("call,exc,name", [
    (lambda g: g.exponential(0.0, 3), ValueError, "scale"),
    (lambda g: g.exponential(-1.0, 3), ValueError, "scale"),
    (lambda g: g.exponential(np.nan, 3), ValueError, "scale"),
    (lambda g: g.exponential(np.inf, 3), ValueError, "scale"),
    (lambda g: g.exponential(1e-40, 3), ValueError, "scale"),  # rate above float32's range
    (lambda g: g.exponential(1e37, 3), ValueError, "scale"),   # rate below 2**-120
    (lambda g: g.exponential("1", 3), TypeError, "scale"),
    (lambda g: g.exponential(True, 3), TypeError, "scale"),
    (lambda g: g.exponential(1.0, 3, np.float64), TypeError, "dtype"),
    (lambda g: g.exponential(1.0, -3), ValueError, "size"),
    (lambda g: g.exponential(1.0, out=np.zeros(3)), TypeError, "out"),
    (lambda g: g.exponential(1.0, out=np.zeros(6, np.float32)[::2]), ValueError, "out"),
    (lambda g: g.exponential(1.0, size=4, out=np.zeros(3, np.float32)), ValueError, "size"),
    (lambda g: g.exponential(1.0, 3, device="tpu"), ValueError, "device"),
    (lambda g: g.bernoulli(-0.1, 3), ValueError, "p"),
    (lambda g: g.bernoulli(1.5, 3), ValueError, "p"),
    (lambda g: g.bernoulli(np.nan, 3), ValueError, "p"),
    (lambda g: g.bernoulli("x", 3), TypeError, "p"),
    (lambda g: g.bernoulli([0.5], 3), TypeError, "p"),
    (lambda g: g.bernoulli(0.5, 3, np.int8), TypeError, "dtype"),
    (lambda g: g.bernoulli(0.5, out=np.zeros(3, np.uint8)), TypeError, "out"),  # dtype bool
    (lambda g: g.bernoulli(0.5, 3, np.uint8, device="cuda"), TypeError, "dtype"),
    (lambda g: g.bernoulli(0.5, out=CudaInterfaceOnly(np.zeros(3, np.bool_))), TypeError,
     "dtype"),
    (lambda g: g.discrete([], 3), ValueError, "weights"),
    (lambda g: g.discrete([1, -1], 3), ValueError, r"weights\[1\]"),
    (lambda g: g.discrete([1, np.nan], 3), ValueError, r"weights\[1\]"),
    (lambda g: g.discrete([0, 0], 3), ValueError, "weights"),
    (lambda g: g.discrete([[1, 2]], 3), ValueError, "weights"),
    (lambda g: g.discrete("abc", 3), TypeError, "weights"),
    (lambda g: g.discrete([1, "a"], 3), TypeError, "weights"),
    (lambda g: g.discrete(None, 3), TypeError, "weights"),
    (lambda g: g.discrete([1, 2], 3, np.float32), TypeError, "dtype"),
    (lambda g: g.discrete([1, 2], 3, np.int64, device="cuda"), TypeError, "dtype"),
    (lambda g: g.discrete([1, 2], out=np.zeros(3, np.int32)), TypeError, "out"),
])
def test_bad_arguments_name_the_argument_and_consume_nothing(call, exc, name):
    g = gpurand.Generator(seed=1)
    with pytest.raises(exc, match=name) as e:
        call(g)
    assert str(e.value).startswith(name.replace("\\", ""))
    assert g.offset == 0
    np.testing.assert_array_equal(g.bits(8), reference_bits(1, 8))


def test_discrete_table_bad_weights():
    with pytest.raises(ValueError, match=r"^weights\[2\]: -3"):
        gpurand.DiscreteTable([1, 2, -3])
    with pytest.raises(TypeError, match="^weights"):
        gpurand.DiscreteTable(gpurand.DiscreteTable([1]))


@pytest.mark.skipif(gpurand.gpu_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu_is_a_clear_error():
    why = "no usable CUDA device|built with(out)? CUDA"
    g = gpurand.Generator(seed=1)
    for call in (lambda: g.exponential(1.0, 10, device="cuda"),
                 lambda: g.bernoulli(0.5, 10, np.uint32, device="cuda"),
                 lambda: g.discrete(WEIGHTS, 10, device="cuda")):
        with pytest.raises(gpurand.Error, match=why):
            call()
    assert g.offset == 0


@pytest.mark.skipif(not gpurand.gpu_available(),
                    reason="no CUDA device: the GPU path is only compiled here")
def test_gpu_fills_equal_the_cpu_fills():
    calls = (lambda h, **k: h.exponential(0.75, 4096, **k),
             lambda h, **k: h.bernoulli(0.3, 4096, np.uint32, **k),
             lambda h, **k: h.bernoulli(0.3, 4096, **k),
             lambda h, **k: h.discrete(WEIGHTS, 4096, **k))
    for call in calls:  # the GPU backend into NumPy arrays: the same bits as the CPU's
        np.testing.assert_array_equal(call(gpurand.Generator(seed=43, backend="gpu")),
                                      call(gpurand.Generator(seed=43, backend="cpu")))
    for call in (calls[0], calls[1], calls[3]):  # device arrays in the distributions' own dtype
        d = call(gpurand.Generator(seed=43), device="cuda")
        assert isinstance(d, gpurand.DeviceArray) and d.shape == (4096,)
