"""gpurand.Generator: bits, distributions, arrays (out=, DLPack, CUDA array
interface), the GIL and every bad argument."""

import threading
import time

import numpy as np
import pytest

import gpurand
from conftest import cli_values, curand_uniform, reference_bits


def test_bits_follow_the_bulk_layout_and_advance_the_offset():
    g = gpurand.Generator(seed=5, backend="cpu")
    np.testing.assert_array_equal(g.bits(1001), reference_bits(5, 1001, offset=0))
    assert g.offset == 4  # one Philox block per call
    np.testing.assert_array_equal(g.bits(7), reference_bits(5, 7, offset=4))
    big = (1 << 64) - 3
    np.testing.assert_array_equal(gpurand.Generator(seed=big).bits(10), reference_bits(big, 10))


def test_random_float32_is_curand_uniform_of_the_bits():
    bits = reference_bits(11, 999)
    got = gpurand.Generator(seed=11).random(999, np.float32)
    np.testing.assert_array_equal(got, curand_uniform(bits))
    assert got.min() > 0 and got.max() <= 1


@pytest.mark.parametrize("method,dist,dtype", [
    ("random32", "uniform", np.float32),
    ("random64", "uniform-double", np.float64),
    ("normal32", "normal", np.float32),
    ("normal64", "normal-double", np.float64),
    ("bits", "u32", np.uint32),
])
def test_values_equal_the_cli_bulk_fill(cli, method, dist, dtype):
    g = gpurand.Generator(seed=5, backend="cpu")
    if method == "bits":
        got = g.bits(1000)
    elif method.startswith("random"):
        got = g.random(1000, dtype)
    else:
        got = g.standard_normal(1000, dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, cli_values(cli, 5, dist, 1000, dtype))


def test_normal_is_scaled_standard_normal():
    z = gpurand.Generator(seed=3).standard_normal(1000, np.float32)
    x = gpurand.Generator(seed=3).normal(2.0, 3.0, 1000, np.float32)
    np.testing.assert_array_equal(x, z * np.float32(3.0) + np.float32(2.0))
    z64 = gpurand.Generator(seed=3).standard_normal(1000)
    x64 = gpurand.Generator(seed=3).normal(-1.5, 0.25, 1000)
    np.testing.assert_array_equal(x64, z64 * 0.25 + -1.5)
    assert abs(z64.mean()) < 0.2 and abs(z64.std() - 1) < 0.1


def test_seed_is_readable_and_repeats_the_run():
    g = gpurand.Generator()
    assert g.seeded_from_os
    first = g.random(100)
    again = gpurand.Generator(seed=g.seed).random(100)
    np.testing.assert_array_equal(first, again)
    assert gpurand.Generator().seed != gpurand.Generator().seed
    assert not gpurand.Generator(seed=1).seeded_from_os
    assert gpurand.Generator(seed=np.uint64(7)).seed == 7


def test_size_shapes_and_scalars():
    g = gpurand.Generator(seed=1)
    assert g.random((3, 4)).shape == (3, 4)
    assert g.random(0).shape == (0,)
    assert g.random([2, 0, 3], np.float32).shape == (2, 0, 3)
    x = g.random()
    assert isinstance(x, np.float64) and 0 < x <= 1
    assert isinstance(g.bits(), np.uint32)
    assert isinstance(g.standard_normal(dtype=np.float32), np.float32)
    assert g.random(np.int64(5)).shape == (5,)


def test_out_fills_numpy_arrays_in_place_without_copies():
    g = gpurand.Generator(seed=9)
    buf = np.zeros(100, np.float32)
    view = buf[10:30]  # a C-contiguous view into a bigger buffer
    res = g.random(out=view, dtype=np.float32)
    assert res is view
    np.testing.assert_array_equal(buf[10:30], gpurand.Generator(seed=9).random(20, np.float32))
    assert not buf[:10].any() and not buf[30:].any()
    m = np.empty((4, 5))
    assert g.standard_normal(out=m, size=(4, 5)) is m
    u = np.empty(7, np.uint32)
    g.bits(out=u)
    assert u.any()


class DLPackOnly:
    """An array that speaks only DLPack (like a CPU torch tensor)."""

    def __init__(self, arr):
        self._arr = arr
        self.shape = arr.shape

    def __dlpack__(self, **kwargs):
        return self._arr.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._arr.__dlpack_device__()


def test_out_accepts_dlpack_objects_and_results_round_trip():
    g = gpurand.Generator(seed=21)
    backing = np.zeros(64, np.float64)
    g.random(out=DLPackOnly(backing))
    np.testing.assert_array_equal(backing, gpurand.Generator(seed=21).random(64))
    x = g.random(32, np.float32)
    y = np.from_dlpack(x)
    assert np.shares_memory(x, y)
    assert x.__dlpack_device__() == (1, 0)  # kDLCPU


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


def test_out_accepts_cuda_array_interface_objects():
    g = gpurand.Generator(seed=4)
    backing = np.zeros((8, 8), np.float32)
    obj = CudaInterfaceOnly(backing)
    assert g.standard_normal(out=obj, dtype=np.float32) is obj
    np.testing.assert_array_equal(
        backing, gpurand.Generator(seed=4).standard_normal((8, 8), np.float32))
    contig_strides = CudaInterfaceOnly(np.zeros(6, np.uint32), strides=(4,))
    g.bits(out=contig_strides)
    assert contig_strides._arr.any()


@pytest.mark.parametrize("overrides,exc,text", [
    ({"data": (1, True)}, ValueError, "read-only"),
    ({"typestr": "<f8"}, TypeError, "float32"),
    ({"strides": (8,)}, ValueError, "C-contiguous"),
    ({"data": None}, TypeError, "malformed"),
    ({"typestr": "zz9"}, TypeError, "typestr"),
    ({"stream": 0}, ValueError, "stream 0"),
])
def test_out_cuda_array_interface_errors(overrides, exc, text):
    g = gpurand.Generator(seed=4)
    before = g.offset
    with pytest.raises(exc, match=text) as e:
        g.random(out=CudaInterfaceOnly(np.zeros(6, np.float32), **overrides), dtype=np.float32)
    assert str(e.value).startswith("out:")
    assert g.offset == before


@pytest.mark.skipif(gpurand.gpu_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu_is_a_clear_error():
    # Either no GPU here, or a package built without the CUDA toolkit.
    why = "no usable CUDA device|built with(out)? CUDA"
    g = gpurand.Generator(seed=1)
    with pytest.raises(gpurand.Error, match=why):
        g.random(10, device="cuda")
    with pytest.raises(gpurand.Error, match=why):
        gpurand.Generator(seed=1, backend="gpu")
    with pytest.raises(gpurand.Error, match=why):
        g.random(out=CudaInterfaceOnly(np.zeros(3, np.float32), stream=1), dtype=np.float32)
    assert g.offset == 0


@pytest.mark.skipif(not gpurand.gpu_available(), reason="no CUDA device: the GPU path is only compiled here")
def test_cuda_device_array_exports():
    g = gpurand.Generator(seed=2)
    d = g.random(1000, np.float32, device="cuda")
    cai = d.__cuda_array_interface__
    assert cai["shape"] == (1000,) and cai["typestr"] == "<f4" and cai["data"][0]
    assert d.__dlpack_device__()[0] == 2
    d.__dlpack__()


def test_fills_release_the_gil():
    g = gpurand.Generator(seed=1, backend="cpu")
    arr = np.empty(1 << 25, np.float32)
    done = threading.Event()
    ticks = 0

    def fill():
        for _ in range(4):
            g.random(out=arr, dtype=np.float32)
        done.set()

    t = threading.Thread(target=fill)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.0005)
    t.join()
    # Holding the GIL for four fills of 2^25 floats would freeze this loop.
    assert ticks > 20


def test_threads_sharing_a_generator_never_overlap():
    g = gpurand.Generator(seed=8)
    rows = [None] * 8

    def work(i):
        rows[i] = g.bits(4096)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gpurand.audit(np.stack(rows)).clean


BAD = [
    (lambda: gpurand.Generator(seed=-1), ValueError, "seed"),
    (lambda: gpurand.Generator(seed=1 << 64), ValueError, "seed"),
    (lambda: gpurand.Generator(seed=1.5), TypeError, "seed"),
    (lambda: gpurand.Generator(seed="1"), TypeError, "seed"),
    (lambda: gpurand.Generator(seed=True), TypeError, "seed"),
    (lambda: gpurand.Generator(backend="tpu"), ValueError, "backend"),
    (lambda: gpurand.Generator(backend=3), TypeError, "backend"),
]


@pytest.mark.parametrize("call,exc,name", BAD)
def test_bad_constructor_arguments(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


@pytest.mark.parametrize("call,exc,name", [
    (lambda g: g.random(-1), ValueError, "size"),
    (lambda g: g.random(1.5), TypeError, "size"),
    (lambda g: g.random("3"), TypeError, "size"),
    (lambda g: g.random((2, -1)), ValueError, "size"),
    (lambda g: g.random(3, np.int32), TypeError, "dtype"),
    (lambda g: g.random(3, "nonsense"), TypeError, "dtype"),
    (lambda g: g.standard_normal(3, np.float16), TypeError, "dtype"),
    (lambda g: g.random(3, device="tpu"), ValueError, "device"),
    (lambda g: g.normal(np.nan, 1.0, 3), ValueError, "loc"),
    (lambda g: g.normal(0.0, -1.0, 3), ValueError, "scale"),
    (lambda g: g.normal(0.0, np.inf, 3), ValueError, "scale"),
    (lambda g: g.normal("a", 1.0, 3), TypeError, "loc"),
    (lambda g: g.normal(1e39, 1.0, 3, np.float32), ValueError, "loc"),
    (lambda g: g.normal(0.0, 1e39, 3, np.float32), ValueError, "scale"),
    (lambda g: g.normal(3e38, 1e38, 3, np.float32), ValueError, "scale"),  # the library's check
    (lambda g: g.random(1 << 62, np.float32), ValueError, "size"),
    (lambda g: g.normal(0.0, [1.0], 3), TypeError, "scale"),
    (lambda g: g.random(out=np.zeros(3, np.float32)), TypeError, "out"),
    (lambda g: g.random(out=np.zeros(6)[::2]), ValueError, "out"),
    (lambda g: g.random(out=np.zeros((3, 3)).T), ValueError, "out"),
    (lambda g: g.random(out=[0.0, 0.0]), TypeError, "out"),
    (lambda g: g.random(size=4, out=np.zeros(3)), ValueError, "size"),
    (lambda g: g.bits(out=np.zeros(3, np.int32)), TypeError, "out"),
    (lambda g: g.spawn(-1), ValueError, "n_children"),
    (lambda g: g.spawn(1.0), TypeError, "n_children"),
    (lambda g: g.spawn(1 << 25), ValueError, "n_children"),
])
def test_bad_call_arguments_name_the_argument_and_consume_nothing(call, exc, name):
    g = gpurand.Generator(seed=1)
    with pytest.raises(exc, match=name) as e:
        call(g)
    assert str(e.value).startswith(name)
    assert g.offset == 0
    np.testing.assert_array_equal(g.bits(8), reference_bits(1, 8))


def test_a_refused_spawn_fixes_nothing():
    g = gpurand.Generator(seed=1)
    kid = g.spawn(1)[0]
    for _ in range(2):
        kid = kid.spawn(65536)[7]
    with pytest.raises(gpurand.Error, match="spawn"):  # the library: slots too small
        kid.spawn(1 << 20)
    assert len(kid.spawn(2)) == 2


def test_read_only_out_is_refused():
    g = gpurand.Generator(seed=1)
    ro = np.zeros(3)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="^out: the array is read-only"):
        g.random(out=ro)
    assert not ro.any() and g.offset == 0


def test_generator_cannot_be_pickled():
    import pickle
    with pytest.raises(TypeError, match="repeat"):
        pickle.dumps(gpurand.Generator(seed=1))


def test_exception_hierarchy():
    assert issubclass(gpurand.Error, RuntimeError)
    assert issubclass(gpurand.ForkError, gpurand.Error)


class FakeDeviceBuffer:
    """Stands in for _gpurand._DeviceBuffer over host memory, so DeviceArray's
    Python side (allocation, the fill, both exports) runs without a GPU."""

    def __init__(self, nbytes):
        self.backing = np.zeros(max(nbytes, 1), np.uint8)
        self.address = self.backing.ctypes.data
        self.nbytes = nbytes
        self.device = 0
        FakeDeviceBuffer.last = self

    def as_ndarray(self, shape, dtype):
        return self.backing[: self.nbytes].view(dtype).reshape(shape)


def test_device_array_host_side(monkeypatch):
    monkeypatch.setattr(gpurand._gpurand, "_DeviceBuffer", FakeDeviceBuffer)
    g = gpurand.Generator(seed=31)
    d = g.random((4, 5), np.float32, device="cuda")
    assert isinstance(d, gpurand.DeviceArray)
    host = FakeDeviceBuffer.last.backing.view(np.float32).reshape(4, 5)
    np.testing.assert_array_equal(host, gpurand.Generator(seed=31).random((4, 5), np.float32))
    cai = d.__cuda_array_interface__
    assert cai == {"shape": (4, 5), "typestr": "<f4", "data": (FakeDeviceBuffer.last.address, False),
                   "strides": None, "version": 3, "stream": None}
    assert d.__dlpack_device__() == (2, 0) and d.shape == (4, 5) and d.size == 20
    assert type(d.__dlpack__(max_version=(1, 0))).__name__ == "PyCapsule"
    with pytest.raises(BufferError):
        d.__dlpack__(copy=True)
    z = g.standard_normal(7, np.float64, device="cuda")
    np.testing.assert_array_equal(FakeDeviceBuffer.last.backing.view(np.float64),
                                  _second_call_normals(31))
    b = g.bits(3, device="cuda")
    assert b.dtype == np.uint32 and "cuda:0" in repr(b) and z.size == 7


def _second_call_normals(seed):
    g = gpurand.Generator(seed=seed)
    g.random((4, 5), np.float32)
    return g.standard_normal(7)
