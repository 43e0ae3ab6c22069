"""gpurand: random numbers that never hand two parallel workers the same values.

A Python face of the gpurand C++/CUDA library, in NumPy's vocabulary:

- :class:`Generator` draws cuRAND-bit-compatible Philox4x32-10 streams on the
  GPU or the CPU (same bits), into new NumPy arrays, CUDA device arrays or
  any ``out=`` array, without copies. Seeded from the OS unless given a seed;
  ``.seed`` is always readable so a run can be repeated.
- It is fork-safe: an OS-seeded generator reseeds itself in a forked child;
  an explicitly seeded one raises :class:`ForkError` instead of repeating the
  parent's numbers. :meth:`Generator.spawn` derives disjoint children.
- :class:`BitGenerator` plugs the same streams into ``numpy.random.Generator``.
- :func:`audit` checks the values that workers drew for duplicate streams,
  overlapping streams and too many equal values.
"""

from __future__ import annotations

import numbers
import operator
import os
import threading
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _gpurand
from ._gpurand import AuditReport, Error, ForkError, StreamMatch, built_with_cuda, gpu_available

__all__ = [
    "AuditReport",
    "BitGenerator",
    "DeviceArray",
    "DiscreteTable",
    "Error",
    "ForkError",
    "Generator",
    "StreamMatch",
    "audit",
    "built_with_cuda",
    "gpu_available",
]

__version__ = "0.1.0"

# --------------------------------------------------------------- fork hooks

# Counts the forks this process descends from. Objects remember the value at
# creation, so a cheap comparison tells them that they now live in a child.
_fork_generation = 0


def _after_fork_in_child() -> None:
    global _fork_generation
    _fork_generation += 1


os.register_at_fork(after_in_child=_after_fork_in_child)

_PY_FORK_ADVICE = (
    " In Python: build the worker's generator from its index inside the worker, "
    "e.g. gpurand.Generator(seed=S).spawn(n_workers)[worker_index] (disjoint and "
    "reproducible under every start method), or use gpurand.Generator() without a "
    "seed so that each process reseeds from the OS."
)


def _fork_error(what: str, seed: int) -> ForkError:
    return ForkError(
        f"{what}(seed={seed}) used in a forked child process: it would repeat the "
        f"parent's numbers." + _PY_FORK_ADVICE
    )


# ------------------------------------------------------------ argument helpers

_SEED_LIMIT = 1 << 64


def _check_seed(seed: Any) -> Optional[int]:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(f"seed: must be None or an integer in [0, 2**64), got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"seed: must be in [0, 2**64), got {seed}")
    return seed


def _shape(size: Any) -> Tuple[int, ...]:
    """size -> shape tuple; None is handled by the callers (a scalar)."""
    items = size if isinstance(size, (tuple, list)) else (size,)
    shape = []
    for s in items:
        if isinstance(s, bool):
            raise TypeError(f"size: must be an int or a tuple of ints, got {size!r}")
        try:
            s = operator.index(s)
        except TypeError:
            raise TypeError(f"size: must be an int or a tuple of ints, got {size!r}") from None
        if s < 0:
            raise ValueError(f"size: dimensions must be non-negative, got {size!r}")
        shape.append(s)
    return tuple(shape)


def _dtype(dtype: Any, allowed: Sequence[str], method: str) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: {method}() does not understand {dtype!r}") from None
    if dt.name not in allowed:
        raise TypeError(f"dtype: {method}() supports {', '.join(allowed)}; got {dt.name}")
    return dt


def _empty(shape: Tuple[int, ...], dt: np.dtype) -> np.ndarray:
    try:
        return np.empty(shape, dtype=dt)
    except (ValueError, MemoryError) as e:
        raise ValueError(f"size: {shape} values of {dt.name} cannot be allocated ({e})") from None


def _check_device(device: Any) -> str:
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device: must be 'cpu' or 'cuda', got {device!r}")
    return device


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: must be a real number, got {value!r}")
    return float(value)


# ----------------------------------------------------------------- arrays

class DeviceArray:
    """A CUDA array that gpurand allocated (``device="cuda"``).

    It holds its device memory and exports it without copies through DLPack
    (``__dlpack__``/``__dlpack_device__``: ``cupy.from_dlpack``,
    ``torch.from_dlpack``) and ``__cuda_array_interface__`` (CuPy, Numba).
    gpurand's fills are complete when they return, so consumers need no
    synchronisation on any stream (``"stream": None``; ``__dlpack__`` accepts
    and ignores ``stream``).
    """

    def __init__(self, shape: Tuple[int, ...], dtype: np.dtype) -> None:
        self.shape: Tuple[int, ...] = tuple(shape)
        self.dtype: np.dtype = np.dtype(dtype)
        self.size: int = int(np.prod(self.shape, dtype=np.int64))
        self._buffer = _gpurand._DeviceBuffer(self.size * self.dtype.itemsize)
        self._view = self._buffer.as_ndarray(list(self.shape), self.dtype.name)

    @property
    def device(self) -> int:
        """The CUDA device ordinal that holds the memory."""
        return self._buffer.device

    @property
    def __cuda_array_interface__(self) -> dict:
        """Version 3 of Numba's CUDA Array Interface (C-contiguous, writeable)."""
        return {
            "shape": self.shape,
            "typestr": self.dtype.str,
            "data": (self._buffer.address, False),
            "strides": None,
            "version": 3,
            "stream": None,
        }

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: Optional[bool] = None) -> Any:
        """A DLPack capsule over the device memory (no copy)."""
        if copy:
            raise BufferError("DeviceArray.__dlpack__: copy=True is not supported")
        kwargs = {"max_version": max_version} if max_version is not None else {}
        if dl_device is not None:
            kwargs["dl_device"] = dl_device
        return self._view.__dlpack__(**kwargs)  # nanobind's export (versioned when asked)

    def __dlpack_device__(self) -> Tuple[int, int]:
        """(kDLCUDA = 2, device ordinal)."""
        return (2, self.device)

    def __repr__(self) -> str:
        return f"DeviceArray(shape={self.shape}, dtype={self.dtype.name}, device=cuda:{self.device})"


def _cuda_interface_target(out: Any, dt: np.dtype) -> Tuple[int, int]:
    """Validate a __cuda_array_interface__ object: (address, element count)."""
    try:
        cai = out.__cuda_array_interface__
        shape = tuple(int(s) for s in cai["shape"])
        typestr = cai["typestr"]
        address, readonly = cai["data"]
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise TypeError(f"out: malformed __cuda_array_interface__ ({e})") from None
    if readonly:
        raise ValueError("out: the array is read-only (__cuda_array_interface__ data[1] is True)")
    try:
        typed = np.dtype(typestr)
    except TypeError:
        raise TypeError(f"out: unknown __cuda_array_interface__ typestr {typestr!r}") from None
    if typed != dt:
        raise TypeError(f"out: expected an array of {dt.name}, got typestr {typestr!r}")
    n = int(np.prod(shape, dtype=np.int64))
    strides = cai.get("strides")
    if strides is not None:
        expect, contiguous = dt.itemsize, True
        for dim, stride in zip(reversed(shape), reversed(tuple(strides))):
            if dim > 1 and stride != expect:
                contiguous = False
            expect *= dim
        if not contiguous:
            raise ValueError("out: the array must be C-contiguous")
    if cai.get("mask") is not None:
        raise ValueError("out: masked arrays are not supported")
    if n > 0 and not address:
        raise ValueError("out: null data pointer")
    stream = cai.get("stream")
    if stream is not None and n > 0:
        if stream == 0:
            raise ValueError("out: __cuda_array_interface__ stream 0 is disallowed by the spec")
        _gpurand.synchronize_stream(int(stream))  # the producer's pending writes land first
    return int(address), n


def _address_kind(kind: str, dt: np.dtype) -> str:
    return kind if kind in ("bits", "poisson") else f"{kind}_f{dt.itemsize * 8}"


def _speaks_only_cuda_interface(out: Any) -> bool:
    """True for an ``out`` that is filled through its raw address (Numba-style)."""
    return not isinstance(out, np.ndarray) and hasattr(out, "__cuda_array_interface__")


def _check_numpy_out(out: np.ndarray, dt: np.dtype) -> None:
    if out.dtype != dt:
        raise TypeError(f"out: expected an array of {dt.name}, got {out.dtype.name}")
    if not out.flags.c_contiguous:
        raise ValueError("out: the array must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out: the array is read-only")


# ----------------------------------------------------------- DiscreteTable

class DiscreteTable:
    """The alias table of :meth:`Generator.discrete`, built once from ``weights`` (the
    C++ ``gpurand::discrete_table``).

    ``weights``: a 1-D sequence or array of k >= 1 reals, each finite and >= 0, not all
    zero; category i is drawn with probability ``weights[i] / sum(weights)`` to within
    about (k + 1) * 2**-32 (relative), and a zero weight is never drawn. A bad weight is a
    ValueError naming it (``weights[3]: -1 ...``). The table lives in host memory and is
    copied to a GPU on its first use there (once per device).
    """

    def __init__(self, weights: Any) -> None:
        if isinstance(weights, DiscreteTable):
            raise TypeError("weights: already a DiscreteTable (pass it to discrete() as is)")
        try:
            arr = np.asarray(weights)
        except (TypeError, ValueError):  # ragged nested sequences
            arr = np.asarray(None)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"weights: must be a sequence of real numbers, got {weights!r}")
        if arr.ndim != 1:
            raise ValueError(f"weights: needs a 1-D sequence, got shape {arr.shape}")
        self._core = _gpurand._DiscreteTable(np.ascontiguousarray(arr, dtype=np.float64))

    @property
    def size(self) -> int:
        """The number of categories k: values are in [0, k)."""
        return self._core.size

    def __len__(self) -> int:
        return self._core.size

    def __repr__(self) -> str:
        return f"gpurand.DiscreteTable(size={self.size})"


# --------------------------------------------------------------- Generator

class Generator:
    """Philox4x32-10 streams that no two workers, threads or processes share.

    ``Generator(seed=None, backend="auto")`` takes 64 bits from the OS unless
    ``seed`` (an integer in [0, 2**64)) is given; ``backend`` is ``"auto"``
    (the GPU when one is usable, else the CPU), ``"cpu"`` or ``"gpu"`` (an
    error where no GPU exists). Both backends give the same bits.

    Every call draws from a fresh window of the counter space, so calls,
    threads sharing the generator and :meth:`spawn` children never overlap.
    Bits equal the C++ bulk fills: ``Generator(seed=5).random(1000,
    np.float32)`` is ``gpurand generate --seed 5 --dist uniform --count
    1000``.

    Fork safety: in a forked child, an OS-seeded generator reseeds itself from
    the OS (``.seed`` shows the new seed); an explicitly seeded one raises
    :class:`ForkError` on its next draw. Generators cannot be
    pickled (a copy would repeat the original's numbers).

    Fills release the GIL.
    """

    def __init__(self, seed: Optional[int] = None, backend: str = "auto") -> None:
        if not isinstance(backend, str):
            raise TypeError(f"backend: must be 'auto', 'cpu' or 'gpu', got {backend!r}")
        self._core = _gpurand._Generator(_check_seed(seed), backend)
        self._spawned = False

    @classmethod
    def _from_core(cls, core: Any) -> "Generator":
        self = cls.__new__(cls)
        self._core = core
        self._spawned = False
        return self

    # -- properties
    @property
    def seed(self) -> int:
        """The 64-bit seed: ``Generator(seed=g.seed)`` repeats this generator's draws
        (in a forked child, an OS-seeded generator shows its new seed)."""
        return self._core.seed

    @property
    def state(self) -> str:
        """The whole state (seed, window, next offset, spawn path and division) as one
        short, checksummed line of text: :meth:`restore` continues it bit for bit."""
        return self._core.state

    @classmethod
    def restore(cls, state: str, backend: Optional[str] = None) -> "Generator":
        """A generator that continues ``state`` (from :attr:`state`) bit for bit; a
        corrupted or truncated state is a ValueError. ``backend``: None (the
        default choice), ``"auto"``, ``"cpu"`` or ``"gpu"``; it is not part of the
        state."""
        if not isinstance(state, str):
            raise TypeError(f"state: must be a str from Generator.state, got {type(state).__name__}")
        if backend is not None and not isinstance(backend, str):
            raise TypeError(f"backend: must be None, 'auto', 'cpu' or 'gpu', got {backend!r}")
        return cls._from_core(_gpurand._Generator.restore(state, backend))

    @property
    def backend(self) -> str:
        """``"cpu"`` or ``"gpu"``: where the fills run."""
        return self._core.backend

    @property
    def seeded_from_os(self) -> bool:
        """True when the seed came from the OS (such a generator reseeds after fork)."""
        return self._core.seeded_from_os

    @property
    def offset(self) -> int:
        """The next Philox offset a call will reserve (4 per call)."""
        return self._core.offset

    def __repr__(self) -> str:
        return f"gpurand.Generator(seed={self.seed}, backend={self.backend!r})"

    def __reduce__(self) -> Any:
        raise TypeError(
            "gpurand.Generator cannot be pickled: a copy would repeat the original's numbers. "
            "Send the seed and a worker index instead and call "
            "Generator(seed=S).spawn(n_workers)[worker_index] in the worker."
        )

    # -- the fill machinery
    def _fill(self, kind: str, size: Any, dt: np.dtype, out: Any, device: str,
              mean: float = 0.0, stddev: float = 1.0, lam: float = 1.0) -> Any:
        core = self._core

        def into(arr: Any) -> None:
            if kind == "bits":
                core.fill_bits(arr)
            elif kind == "random":
                core.fill_uniform(arr)
            elif kind == "lognormal":
                core.fill_log_normal(arr, mean, stddev)
            elif kind == "poisson":
                core.fill_poisson(arr, lam)
            else:
                core.fill_normal(arr, mean, stddev)

        def at(address: int, n: int) -> None:
            core.fill_address(_address_kind(kind, dt), address, n, mean, stddev, lam)

        return self._fill_with(size, dt, out, device, into, at)

    def _fill_with(self, size: Any, dt: np.dtype, out: Any, device: str,
                   into: Callable[[Any], None], at: Callable[[int, int], None]) -> Any:
        """Resolve size/out/device: ``into(array)`` fills a NumPy or DLPack array (the
        module checks its dtype and memory), ``at(address, n)`` fills raw memory (a new
        DeviceArray, or an ``out`` that speaks only ``__cuda_array_interface__``)."""
        _check_device(device)
        scalar = size is None and out is None
        if out is not None:
            if size is not None and _shape(size) != tuple(getattr(out, "shape", ())):
                raise ValueError(
                    f"size: {size!r} does not match out.shape {getattr(out, 'shape', None)!r}")
            if not _speaks_only_cuda_interface(out):
                if isinstance(out, np.ndarray):
                    _check_numpy_out(out, dt)
                elif not hasattr(out, "__dlpack__"):
                    raise TypeError(
                        "out: expected a NumPy array or an object with __dlpack__ or "
                        f"__cuda_array_interface__, got {type(out).__name__}")
                try:
                    into(out)
                except TypeError as e:
                    if "incompatible function arguments" in str(e):
                        raise TypeError(
                            "out: expected a C-contiguous, writeable array on the CPU or a CUDA "
                            f"device, got {type(out).__name__}") from None
                    raise
                return out
            address, n = _cuda_interface_target(out, dt)
            if n:
                at(address, n)
            return out
        shape = () if scalar else _shape(size)
        if device == "cuda":
            arr = DeviceArray(shape, dt)
            if arr.size:
                at(arr._buffer.address, arr.size)
            return arr
        arr = _empty(shape, dt)
        into(arr)
        return arr[()] if scalar else arr

    def _fill_own(self, kind: str, size: Any, dt: np.dtype, out: Any, device: str,
                  param: float = 0.0, table: Optional["DiscreteTable"] = None) -> Any:
        """exponential, bernoulli, discrete: the C++ fill in its own dtype (float32 or
        uint32) wherever the memory is; bool/uint8/int64 converted from it on the CPU."""
        own = np.dtype(np.float32 if kind == "exponential" else np.uint32)
        raw = (device == "cuda" and out is None) or (out is not None and
                                                     _speaks_only_cuda_interface(out))
        if raw and dt != own:
            raise TypeError(f"dtype: {kind}() fills device memory as {own.name} only, "
                            f"got {dt.name}")
        core, t = self._core, table._core if table is not None else None
        return self._fill_with(
            size, dt, out, device, lambda arr: core.fill_own(arr, kind, param, t),
            lambda address, n: core.fill_own_address(kind, address, n, param, t))

    # -- NumPy's vocabulary
    def random(self, size: Any = None, dtype: Any = np.float64, out: Any = None, *,
               device: str = "cpu") -> Any:
        """Uniform floats in (0, 1] (cuRAND's convention: 0 excluded, 1 included).

        ``size``: None (a scalar), an int or a tuple; ``dtype``: float32 (24
        random bits, ``curand_uniform``) or float64 (53 bits,
        ``curand_uniform2_double``); ``out``: an array to fill in place (NumPy,
        or any DLPack or ``__cuda_array_interface__`` object: C-contiguous,
        writeable, of ``dtype``; filled where it lives, host or device); ``device``
        (for a new array, so ignored with ``out``): ``"cpu"`` (a NumPy array) or
        ``"cuda"`` (a :class:`DeviceArray`, an error where no GPU is usable).
        """
        dt = _dtype(dtype, ("float32", "float64"), "random")
        return self._fill("random", size, dt, out, device)

    def standard_normal(self, size: Any = None, dtype: Any = np.float64, out: Any = None, *,
                        device: str = "cpu") -> Any:
        """Standard normals (cuRAND's Box-Muller, ``curand_normal``/``curand_normal2_double``).

        Arguments as in :meth:`random`. CPU and GPU agree to about 1e-6 (the
        GPU uses fast sin/cos/log); raw bits and uniforms are identical.
        """
        dt = _dtype(dtype, ("float32", "float64"), "standard_normal")
        return self._fill("normal", size, dt, out, device)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None,
               dtype: Any = np.float64, out: Any = None, *, device: str = "cpu") -> Any:
        """Normals ``standard_normal * scale + loc``; ``loc`` and ``scale`` are finite
        scalars, ``scale >= 0``. Other arguments as in :meth:`random`."""
        loc_f, scale_f = _real(loc, "loc"), _real(scale, "scale")
        if not np.isfinite(loc_f):
            raise ValueError(f"loc: must be finite, got {loc!r}")
        if not np.isfinite(scale_f) or scale_f < 0:
            raise ValueError(f"scale: must be finite and >= 0, got {scale!r}")
        dt = _dtype(dtype, ("float32", "float64"), "normal")
        if dt == np.float32:  # the float fill takes float parameters: no silent inf
            top = float(np.finfo(np.float32).max)
            if abs(loc_f) > top:
                raise ValueError(f"loc: {loc!r} does not fit in float32")
            if scale_f > top:
                raise ValueError(f"scale: {scale!r} does not fit in float32")
        try:
            return self._fill("normal", size, dt, out, device, loc_f, scale_f)
        except ValueError as e:  # the library calls them mean and stddev
            msg = str(e)
            for lib, ours in (("mean:", "loc:"), ("stddev:", "scale:")):
                if msg.startswith(lib):
                    raise ValueError(ours + msg[len(lib):]) from None
            raise

    def lognormal(self, mean: float = 0.0, sigma: float = 1.0, size: Any = None,
                  dtype: Any = np.float64, out: Any = None, *, device: str = "cpu") -> Any:
        """Log-normals ``exp(mean + sigma * z)``, z cuRAND's Box-Muller normal: exactly the
        C++ ``log_normal()`` fill (lane i % 4 of ``curand_log_normal4``, float32, or i % 2 of
        ``curand_log_normal2_double``, float64). ``mean`` and ``sigma`` (NumPy's names) are
        finite scalars, ``sigma >= 0``, and ``mean + 8.58 * sigma`` (6.77 for float32) at most
        log of the dtype's largest value, so that no value is infinite. Other arguments as in
        :meth:`random`."""
        mean_f, sigma_f = _real(mean, "mean"), _real(sigma, "sigma")
        dt = _dtype(dtype, ("float32", "float64"), "lognormal")
        try:
            return self._fill("lognormal", size, dt, out, device, mean_f, sigma_f)
        except ValueError as e:  # the library calls sigma stddev
            msg = str(e)
            if msg.startswith("stddev:"):
                raise ValueError("sigma:" + msg[len("stddev:"):]) from None
            raise

    def poisson(self, lam: Any = 1.0, size: Any = None, out: Any = None, *,
                device: str = "cpu") -> Any:
        """Poisson counts as uint32 (NumPy returns int64; these are the C++ bits):
        exactly the C++ ``poisson()`` fill, cuRAND's ``curand_poisson4`` (lane i % 4 of
        subsequence i // 4), all three of cuRAND's regimes.

        ``lam``: a scalar in (0, 4e9], or an array of them, one per value (gpurand-specific
        layout: group j is four consecutive ``curand_poisson`` with ``lam[4j..4j+3]``); an
        array ``lam`` gives the output its shape (``size``, if given, must equal it) and is
        read on the CPU (CPU backend, NumPy output) or, flattened, wherever the GPU backend can
        read it (device memory via DLPack). Other arguments as in :meth:`random`.
        """
        dt = np.dtype(np.uint32)
        scalar_lam = isinstance(lam, (numbers.Real, np.floating, np.integer)) and not isinstance(
            lam, bool)
        try:
            if scalar_lam:
                lam_f = _real(lam, "lam")
                return self._fill("poisson", size, dt, out, device, lam=lam_f)
            return self._poisson_array(lam, size, out, device)
        except ValueError as e:  # the library calls lam lambda / lambdas
            msg = str(e)
            for lib in ("lambdas", "lambda"):
                if msg.startswith(lib):
                    raise ValueError("lam" + msg[len(lib):]) from None
            raise

    def _poisson_array(self, lam: Any, size: Any, out: Any, device: str) -> Any:
        _check_device(device)
        if isinstance(lam, bool) or isinstance(lam, (str, bytes)):
            raise TypeError(f"lam: must be a real number or an array of them, got {lam!r}")
        if hasattr(lam, "__dlpack__") and not isinstance(lam, np.ndarray):
            lam_arr = lam  # device memory: the library checks where it lives
            shape = tuple(lam.shape)
        else:
            try:
                lam_arr = np.ascontiguousarray(lam, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"lam: must be a real number or an array of them, got {lam!r}") from None
            shape = lam_arr.shape
        if size is not None and _shape(size) != shape:
            raise ValueError(f"size: {size!r} does not match lam's shape {shape!r}")
        if out is None:
            if device == "cuda":
                raise ValueError("device: an array lam fills a NumPy array (pass out= for device memory)")
            out = _empty(shape, np.dtype(np.uint32))
        elif tuple(getattr(out, "shape", ())) != shape:
            raise ValueError(f"out: shape {getattr(out, 'shape', None)!r} does not match lam's {shape!r}")
        if isinstance(out, np.ndarray):
            _check_numpy_out(out, np.dtype(np.uint32))
        self._core.fill_poisson_lambdas(out, lam_arr)
        return out

    def bits(self, size: Any = None, out: Any = None, *, device: str = "cpu") -> Any:
        """Raw 32-bit Philox draws (uint32): exactly the C++ ``generate()`` fill."""
        return self._fill("bits", size, np.dtype(np.uint32), out, device)

    def exponential(self, scale: float = 1.0, size: Any = None, dtype: Any = np.float32,
                    out: Any = None, *, device: str = "cpu") -> Any:
        """Exponential floats with mean ``scale`` (NumPy's parameterisation): exactly the
        C++ ``exponential(out, n, lambda)`` fill with the rate ``lambda = float(1 / scale)``
        (1 / scale computed in double, then rounded to float32, as the C++ fill takes it), so
        ``exponential(scale=s)`` has the bits of ``gpurand generate --dist exponential
        --lambda L`` for any L whose float32 is that rate. Value i is ``-log(u) / lambda``, u
        the curand_uniform value of word i % 4 of the Philox block of subsequence i // 4,
        gpurand's portable log: the same bits on the CPU and the GPU.

        ``scale``: finite, > 0, with float32(1 / scale) in [2**-120, 3.4e38] (scale in about
        [2.9e-39, 1.3e36]). ``dtype``: float32 only (the values are computed in float32).
        Other arguments as in :meth:`random`.
        """
        scale_f = _real(scale, "scale")
        if not (np.isfinite(scale_f) and scale_f > 0):
            raise ValueError(f"scale: must be finite and > 0, got {scale!r}")
        rate = 1.0 / scale_f
        with np.errstate(over="ignore", under="ignore"):
            rate32 = float(np.float32(rate))
        if not 2.0**-120 <= rate32 <= float(np.finfo(np.float32).max):
            raise ValueError(f"scale: {scale!r} gives the rate float32(1 / scale) = {rate32!r}, "
                             "outside [2**-120, 3.4e38]")
        dt = _dtype(dtype, ("float32",), "exponential")
        return self._fill_own("exponential", size, dt, out, device, param=rate)

    def bernoulli(self, p: float, size: Any = None, dtype: Any = np.bool_, out: Any = None, *,
                  device: str = "cpu") -> Any:
        """Bernoulli(p) draws, gpurand-specific (NumPy has none): value i is 1 (True) iff
        word i % 4 of the Philox block of subsequence i // 4 is below round(p * 2**32), so
        P(1) is p to within 2**-33. Exactly the C++ ``bernoulli(out, n, p)`` fill (uint32 0/1,
        ``gpurand generate --dist bernoulli --p P``).

        ``p``: a real in [0, 1]. ``dtype``: bool (default), uint8 or uint32; bool and uint8
        are the uint32 fill converted value by value (the same 0/1; a temporary uint32 array
        of the output's length is made, on the CPU only: device memory takes uint32). Other
        arguments as in :meth:`random`.
        """
        p_f = _real(p, "p")
        if not 0.0 <= p_f <= 1.0:
            raise ValueError(f"p: must be in [0, 1], got {p!r}")
        dt = _dtype(dtype, ("bool", "uint8", "uint32"), "bernoulli")
        return self._fill_own("bernoulli", size, dt, out, device, param=p_f)

    def discrete(self, weights: Any, size: Any = None, dtype: Any = np.uint32, out: Any = None,
                 *, device: str = "cpu") -> Any:
        """Categories 0..k-1 drawn with probabilities proportional to ``weights`` (like
        ``numpy.random.Generator.choice(k, p=weights / weights.sum())``, but a different
        algorithm): Walker's alias method, two 32-bit draws per value. Exactly the C++
        ``discrete(out, n, table)`` fill (``gpurand generate --dist discrete --weights
        W0,W1,...``): value i uses words (0, 1) (even i) or (2, 3) (odd i) of the Philox
        block of subsequence i // 2; the same bits on the CPU and the GPU.

        ``weights``: a :class:`DiscreteTable` (build it once to reuse it) or the weights
        themselves (a table is built for this call). ``dtype``: uint32 (default, the C++
        values) or int64 (converted on the CPU). Other arguments as in :meth:`random`.
        """
        table = weights if isinstance(weights, DiscreteTable) else DiscreteTable(weights)
        dt = _dtype(dtype, ("uint32", "int64"), "discrete")
        return self._fill_own("discrete", size, dt, out, device, table=table)

    def integers(self, low: int, high: Optional[int] = None, size: Any = None,
                 dtype: Any = np.int64, endpoint: bool = False) -> Any:
        """Integers uniform on [low, high) (or [low, high] with ``endpoint=True``),
        exactly unbiased: Lemire's multiply-shift with rejection over :meth:`bits`.

        As in NumPy, ``integers(n)`` means [0, n). ``dtype``: int32, int64,
        uint32 or uint64; the bounds must fit it. CPU arrays only. Ranges up to
        2**32 values use one u32 per value, wider ranges two (low word first);
        rejected positions are redrawn in later calls, in index order.
        """
        if high is None:
            low, high = 0, low
        for name, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
                raise TypeError(f"{name}: must be an integer, got {v!r}")
        low, high = int(low), int(high)
        dt = _dtype(dtype, ("int32", "int64", "uint32", "uint64"), "integers")
        info = np.iinfo(dt)
        top = high if endpoint else high - 1
        if low > top:
            raise ValueError(
                f"low: must be {'<=' if endpoint else '<'} high, got low={low}, high={high}")
        if low < info.min:
            raise ValueError(f"low: {low} is out of bounds for {dt.name}")
        if top > info.max:
            raise ValueError(f"high: {high} is out of bounds for {dt.name}")
        scalar = size is None
        arr = _empty(() if scalar else _shape(size), dt)
        self._core.fill_integers(arr, low % _SEED_LIMIT, top - low)
        return arr[()] if scalar else arr

    def spawn(self, n_children: int) -> List["Generator"]:
        """``n_children`` generators, disjoint from this one and from each other by
        construction: child i is the C++ ``spawn(i, n_children)``, the i-th of
        ``n_children`` equal slots of this generator's spawn space (same seed).

        Children are indexed, not counted: ``Generator(seed=S).spawn(n)[i]`` is
        the same stream in every process, so a worker can build its own from
        (S, n, i) under any start method. Hence, unlike NumPy's
        ``SeedSequence.spawn``, a generator spawns once: a second call would
        hand out the same children again and raises ValueError (take all the
        children you need in one call, or spawn from a child). In a forked
        child, an OS-seeded generator has a new seed and may spawn again; an
        explicitly seeded one may spawn there if it had not spawned before the
        fork (the remedy for workers: ``gen.spawn(n_workers)[worker_index]``).
        """
        n = _spawn_count(n_children)
        if n == 0:
            return []
        _check_spawn(self)
        children = [Generator._from_core(self._core.spawn(i, n)) for i in range(n)]
        self._spawned = (n, _fork_generation)  # after the library accepted n
        return children

def _check_spawn(owner: Any) -> None:
    """Refuse a second spawn (it would repeat the children), except for an OS-seeded
    owner in a forked child, which has a new seed."""
    if owner._spawned is not False:
        when, generation = owner._spawned
        if not (owner._core.seeded_from_os and generation != _fork_generation):
            raise ValueError(
                f"n_children: this generator already spawned {when} children; spawning "
                f"again would repeat them (children are indexed: Generator(seed=S)."
                f"spawn(n)[i] is always the same stream). Take every child in one call, "
                f"or spawn from a child")


_MAX_CHILDREN = 1 << 24  # per call: each child is a Python object


def _spawn_count(n_children: Any) -> int:
    if isinstance(n_children, bool):
        raise TypeError(f"n_children: must be an int, got {n_children!r}")
    try:
        n = operator.index(n_children)
    except TypeError:
        raise TypeError(f"n_children: must be an int, got {n_children!r}") from None
    if n < 0:
        raise ValueError(f"n_children: must be non-negative, got {n}")
    if n > _MAX_CHILDREN:
        raise ValueError(f"n_children: at most {_MAX_CHILDREN} per call (each child is a "
                         f"Python object; spawn in levels for more), got {n}")
    return n


# ------------------------------------------------------------ BitGenerator

class _ForkCheckedLock:
    """The ``lock`` NumPy's Generator takes around every draw: a threading.Lock
    that first checks whether the process was forked since it was made.

    In a forked child it raises :class:`ForkError` for an explicitly seeded bit
    generator (NumPy's C callbacks cannot raise, so the check lives here) and
    starts a fresh lock for an OS-seeded one (the parent's might have been
    held by a thread that does not exist in the child).
    """

    __slots__ = ("_lock", "_generation", "_owner")

    def __init__(self, owner: "BitGenerator") -> None:
        self._lock = threading.Lock()
        self._generation = _fork_generation
        self._owner = owner

    def _check(self) -> None:
        if self._generation != _fork_generation:
            if not self._owner.seeded_from_os:
                raise _fork_error("BitGenerator", self._owner.seed)
            self._lock = threading.Lock()
            self._generation = _fork_generation

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Check for a fork, then acquire the lock."""
        self._check()
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        """Release the lock."""
        self._lock.release()

    def locked(self) -> bool:
        """True while held."""
        return self._lock.locked()

    def __enter__(self) -> "_ForkCheckedLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class BitGenerator:
    """gpurand's Philox streams as a NumPy bit generator:
    ``numpy.random.Generator(gpurand.BitGenerator())`` offers every NumPy
    distribution, fork-safe.

    ``capsule`` is a PyCapsule named ``"BitGenerator"`` holding NumPy's
    ``bitgen_t``; ``lock`` guards it. The bits: a sequence of u32 that is the
    concatenation of ``Generator(seed=s).bits(BitGenerator.buffer_size)``
    calls (one fresh window per refill, on the CPU backend: refills are small);
    ``next_uint32`` takes the next value, ``next_uint64``/``random_raw`` the
    next two as (low, high) words, ``next_double`` is ``(next_uint64 >> 11) *
    2**-53``.

    Fork safety: a forked child discards the values buffered in the parent;
    an OS-seeded bit generator then reseeds from the OS, an explicitly seeded
    one raises :class:`ForkError` on its next use.
    """

    buffer_size: int = _gpurand._BitGenerator.buffer_size

    def __init__(self, seed: Optional[int] = None) -> None:
        self._init(_gpurand._BitGenerator(_check_seed(seed)))

    def _init(self, core: Any) -> None:
        self._core = core
        self._capsule = core.capsule()
        self._lock = _ForkCheckedLock(self)
        self._spawned = False

    @property
    def capsule(self) -> Any:
        """PyCapsule "BitGenerator" holding a numpy ``bitgen_t`` (valid while self lives)."""
        return self._capsule

    @property
    def lock(self) -> _ForkCheckedLock:
        """The lock NumPy holds around draws; it raises ForkError in a forked child when
        the seed was explicit."""
        return self._lock

    @property
    def seed(self) -> int:
        """The 64-bit seed (in a forked child, an OS-seeded one shows its new seed)."""
        return self._core.seed

    @property
    def seeded_from_os(self) -> bool:
        """True when the seed came from the OS."""
        return self._core.seeded_from_os

    def random_raw(self, size: Any = None, output: bool = True) -> Any:
        """``next_raw`` values (uint64: two u32 of the stream, low word first), as
        ``numpy.random.BitGenerator.random_raw``."""
        scalar = size is None
        arr = np.empty(1 if scalar else _shape(size), dtype=np.uint64)
        with self._lock:
            self._core.fill_raw(arr.reshape(-1))
        if not output:
            return None
        return arr[0] if scalar else arr

    def random_uint32(self, size: Any = None) -> Any:
        """``next_uint32`` values (uint32), the stream itself."""
        scalar = size is None
        arr = np.empty(1 if scalar else _shape(size), dtype=np.uint32)
        with self._lock:
            self._core.fill_uint32(arr.reshape(-1))
        return arr[0] if scalar else arr

    def spawn(self, n_children: int) -> List["BitGenerator"]:
        """``n_children`` bit generators on disjoint slots: child i draws from
        ``Generator(seed).spawn(n_children)[i]``'s stream (CPU backend). Spawns
        once, as :meth:`Generator.spawn`; ``numpy.random.Generator.spawn`` calls this."""
        n = _spawn_count(n_children)
        self._lock._check()
        if n == 0:
            return []
        _check_spawn(self)
        out = []
        for i in range(n):
            child = BitGenerator.__new__(BitGenerator)
            child._init(_gpurand._BitGenerator(self._core.generator, i, n))
            out.append(child)
        self._spawned = (n, _fork_generation)
        return out

    def __reduce__(self) -> Any:
        raise TypeError("gpurand.BitGenerator cannot be pickled: a copy would repeat its numbers")

    def __repr__(self) -> str:
        return f"gpurand.BitGenerator(seed={self.seed})"


# ------------------------------------------------------------------ audit

def audit(values: Any, *, window: int = 0, alpha: float = 1e-4, model: str = "auto",
          max_listed: int = 20) -> AuditReport:
    """Audit what parallel workers drew: ``values`` is 2-D, one row per worker
    (uint32, float32 or float64).

    Finds rows that are identical (duplicate streams: forked or shared
    state), runs of at least ``window`` values (0: 128 bits' worth) that
    reappear shifted in another row (overlapping streams, with the lag), and
    more equal values than the birthday bound allows for the values'
    resolution (a p-value, flagged below ``alpha``). ``model``: ``"auto"`` or
    one of u32, uniform_f32, uniform_f64_32bit, uniform_f64_53bit, normal_f32,
    normal_f64. Returns an :class:`AuditReport`; ``str()`` of it is the
    readable report, ``.verdict`` is ``"clean"`` when nothing was found.
    """
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise ValueError(f"values: needs a 2-D array (one row per worker), got shape {arr.shape}")
    if arr.dtype.name not in ("uint32", "float32", "float64"):
        raise TypeError(f"values: needs uint32, float32 or float64 values, got {arr.dtype.name}")
    if 0 in arr.shape:
        raise ValueError(f"values: needs at least one row and one column, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr)
    for name, v in (("window", window), ("max_listed", max_listed)):
        if isinstance(v, bool) or not isinstance(v, (numbers.Integral, np.integer)):
            raise TypeError(f"{name}: must be an int, got {v!r}")
        if v < 0:
            raise ValueError(f"{name}: must be non-negative, got {v}")
    alpha_f = _real(alpha, "alpha")
    if not isinstance(model, str):
        raise TypeError(f"model: must be a string, got {model!r}")
    return _gpurand.audit(arr, int(window), alpha_f, model, int(max_listed))
