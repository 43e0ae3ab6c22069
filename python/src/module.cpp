// gpurand._gpurand: the nanobind layer under the `gpurand` Python package.
//
// Thin by design: every function converts Python objects to the library's
// types, releases the GIL and forwards to gpurand; the library validates and
// decides. The Python package (python/gpurand/__init__.py) resolves NumPy
// conveniences (size, dtype, out=, device=) and calls these.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if GPURAND_PY_HAVE_CUDA
#include <cuda_runtime_api.h>
#else
#define GPURAND_PY_HAVE_CUDA 0
#endif

#include "gpurand/audit.hpp"
#include "gpurand/discrete.hpp"
#include "gpurand/gpurand.hpp"
#include "integers.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace gpurand::python {
namespace {

// ---------------------------------------------------------------- errors

PyObject* g_error = nullptr;       // gpurand.Error(RuntimeError)
PyObject* g_fork_error = nullptr;  // gpurand.ForkError(gpurand.Error)

/// invalid_argument -> ValueError (the library names the argument);
/// forked -> ForkError; every other code -> gpurand.Error. The C++ message
/// is carried unchanged.
void translate(const std::exception_ptr& p, void*) {
  try {
    std::rethrow_exception(p);
  } catch (const Error& e) {
    PyObject* type = e.code() == errc::invalid_argument ? PyExc_ValueError
                     : e.code() == errc::forked         ? g_fork_error
                                                        : g_error;
    std::string msg = e.what();
    if (e.code() == errc::forked)  // the library's advice is C++; add the Python spelling
      msg +=
          ". In Python: build the worker's generator inside the worker from its index, e.g. "
          "gpurand.Generator(seed=S).spawn(n_workers)[worker_index], or use "
          "gpurand.Generator() without a seed";
    PyErr_SetString(type, msg.c_str());
  }
}

// ------------------------------------------------------------ arrays in

using any_array = nb::ndarray<nb::c_contig>;
using ro_array = nb::ndarray<nb::ro, nb::c_contig>;

template <class Array>
bool is_dtype(const Array& a, nb::dlpack::dtype_code code, unsigned bits) {
  return a.dtype().code == static_cast<std::uint8_t>(code) && a.dtype().bits == bits &&
         a.dtype().lanes == 1;
}

void* checked_data(const any_array& out) {
  const int dev = out.device_type();
  if (dev != nb::device::cpu::value && dev != nb::device::cuda::value &&
      dev != nb::device::cuda_managed::value && dev != nb::device::cuda_host::value)
    throw nb::value_error(("out: arrays on DLPack device type " + std::to_string(dev) +
                           " are not supported (CPU, CUDA, CUDA managed or CUDA host memory only)")
                              .c_str());
  return out.data();
}

[[noreturn]] void bad_dtype(const char* what, const char* want) {
  throw nb::type_error((std::string("out: ") + what + " needs an array of " + want).c_str());
}

// Fills into `out` (any C-contiguous, writeable array nanobind can import:
// NumPy, DLPack producers). The GIL is released during the fill.
void fill_bits(Generator& g, const any_array& out) {
  if (!is_dtype(out, nb::dlpack::dtype_code::UInt, 32)) bad_dtype("bits", "uint32");
  auto* p = static_cast<std::uint32_t*>(checked_data(out));
  const std::size_t n = out.size();
  nb::gil_scoped_release unlock;
  g.generate(p, n);
}

/// A float32 or float64 fill of `out` through f32(float*, n) or f64(double*, n), the GIL
/// released; another dtype is a TypeError naming `what`.
template <class F32, class F64>
void fill_floats(const any_array& out, const char* what, F32 f32, F64 f64) {
  void* p = checked_data(out);
  const std::size_t n = out.size();
  if (is_dtype(out, nb::dlpack::dtype_code::Float, 32)) {
    nb::gil_scoped_release unlock;
    f32(static_cast<float*>(p), n);
  } else if (is_dtype(out, nb::dlpack::dtype_code::Float, 64)) {
    nb::gil_scoped_release unlock;
    f64(static_cast<double*>(p), n);
  } else {
    bad_dtype(what, "float32 or float64");
  }
}

void fill_uniform(Generator& g, const any_array& out) {
  fill_floats(
      out, "random", [&](float* p, std::size_t n) { g.uniform(p, n); },
      [&](double* p, std::size_t n) { g.uniform(p, n); });
}

void fill_normal(Generator& g, const any_array& out, double mean, double stddev) {
  fill_floats(
      out, "normal",
      [&](float* p, std::size_t n) {
        g.normal(p, n, static_cast<float>(mean), static_cast<float>(stddev));
      },
      [&](double* p, std::size_t n) { g.normal(p, n, mean, stddev); });
}

void fill_log_normal(Generator& g, const any_array& out, double mean, double stddev) {
  fill_floats(
      out, "lognormal",
      [&](float* p, std::size_t n) {
        g.log_normal(p, n, static_cast<float>(mean), static_cast<float>(stddev));
      },
      [&](double* p, std::size_t n) { g.log_normal(p, n, mean, stddev); });
}

void fill_poisson(Generator& g, const any_array& out, double lam) {
  if (!is_dtype(out, nb::dlpack::dtype_code::UInt, 32)) bad_dtype("poisson", "uint32");
  auto* p = static_cast<std::uint32_t*>(checked_data(out));
  const std::size_t n = out.size();
  nb::gil_scoped_release unlock;
  g.poisson(p, n, lam);
}

/// One lambda per element: `lambdas` (float64, as many values as `out`) where the backend reads
/// it (the library checks the memory and every value).
void fill_poisson_lambdas(Generator& g, const any_array& out, const ro_array& lambdas) {
  if (!is_dtype(out, nb::dlpack::dtype_code::UInt, 32)) bad_dtype("poisson", "uint32");
  if (!is_dtype(lambdas, nb::dlpack::dtype_code::Float, 64))
    throw nb::type_error("lam: needs float64 values");
  if (lambdas.size() != out.size())
    throw nb::value_error(("lam: " + std::to_string(lambdas.size()) + " values for " +
                           std::to_string(out.size()) + " outputs")
                              .c_str());
  auto* p = static_cast<std::uint32_t*>(checked_data(out));
  const auto* l = static_cast<const double*>(lambdas.data());
  const std::size_t n = out.size();
  nb::gil_scoped_release unlock;
  g.poisson(p, n, l);
}

/// Fill through a raw address, for producers that speak only
/// __cuda_array_interface__ (Numba). The library inspects the pointer.
void fill_address(Generator& g, const std::string& kind, std::uintptr_t address, std::size_t n,
                  double mean, double stddev, double lam) {
  void* p = reinterpret_cast<void*>(address);
  nb::gil_scoped_release unlock;
  if (kind == "bits")
    g.generate(static_cast<std::uint32_t*>(p), n);
  else if (kind == "random_f32")
    g.uniform(static_cast<float*>(p), n);
  else if (kind == "random_f64")
    g.uniform(static_cast<double*>(p), n);
  else if (kind == "normal_f32")
    g.normal(static_cast<float*>(p), n, static_cast<float>(mean), static_cast<float>(stddev));
  else if (kind == "normal_f64")
    g.normal(static_cast<double*>(p), n, mean, stddev);
  else if (kind == "lognormal_f32")
    g.log_normal(static_cast<float*>(p), n, static_cast<float>(mean), static_cast<float>(stddev));
  else if (kind == "lognormal_f64")
    g.log_normal(static_cast<double*>(p), n, mean, stddev);
  else if (kind == "poisson")
    g.poisson(static_cast<std::uint32_t*>(p), n, lam);
  else
    throw Error(errc::invalid_argument, "kind: unknown fill '" + kind + "'");
}

// ------------------------------------ exponential, bernoulli, discrete

/// One of gpurand's own distributions with its parameter: `param` is exponential's rate (the
/// C++ fill takes float(param)) or bernoulli's p; `table` is discrete's.
struct own_fill {
  std::string kind;  // "exponential", "bernoulli" or "discrete"
  double param = 0;
  const discrete_table* table = nullptr;
};

/// The library's fill of n values of the distribution's own type (float for exponential,
/// uint32 otherwise) at p, host or device memory. The caller holds no GIL.
void run_own(Generator& g, const own_fill& f, void* p, std::size_t n) {
  if (f.kind == "exponential")
    g.exponential(static_cast<float*>(p), n, static_cast<float>(f.param));
  else if (f.kind == "bernoulli")
    g.bernoulli(static_cast<std::uint32_t*>(p), n, f.param);
  else if (f.kind == "discrete" && f.table != nullptr)
    g.discrete(static_cast<std::uint32_t*>(p), n, *f.table);
  else
    throw Error(errc::invalid_argument, "kind: unknown fill '" + f.kind + "'");
}

/// The uint32 fill into a temporary, then each value converted to T (0/1 to bool or uint8,
/// categories to int64): the same values as the uint32 fill, one call, one window.
template <class T>
void run_own_converted(Generator& g, const own_fill& f, void* p, std::size_t n) {
  std::vector<std::uint32_t> tmp(n);
  run_own(g, f, tmp.data(), n);
  T* out = static_cast<T*>(p);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(tmp[i]);
}

/// Fills `out` with the distribution `f`: in its own type wherever `out` lives; bernoulli also
/// into bool or uint8 and discrete into int64 CPU arrays (converted from the uint32 fill). The
/// GIL is released during the fill.
void fill_own(Generator& g, const any_array& out, const std::string& kind, double param,
              const discrete_table* table) {
  const own_fill f{kind, param, table};
  using code = nb::dlpack::dtype_code;
  void* p = checked_data(out);
  const std::size_t n = out.size();
  void (*run)(Generator&, const own_fill&, void*, std::size_t) = nullptr;
  const char* want = "";
  if (f.kind == "exponential") {
    want = "float32";
    if (is_dtype(out, code::Float, 32)) run = &run_own;
  } else if (f.kind == "bernoulli") {
    want = "bool, uint8 or uint32";
    if (is_dtype(out, code::UInt, 32))
      run = &run_own;
    else if (is_dtype(out, code::Bool, 8))
      run = &run_own_converted<bool>;
    else if (is_dtype(out, code::UInt, 8))
      run = &run_own_converted<std::uint8_t>;
  } else {
    want = "uint32 or int64";
    if (is_dtype(out, code::UInt, 32))
      run = &run_own;
    else if (is_dtype(out, code::Int, 64))
      run = &run_own_converted<std::int64_t>;
  }
  if (run == nullptr) bad_dtype(f.kind.c_str(), want);
  if (run != &run_own && out.device_type() != nb::device::cpu::value)
    throw nb::value_error(
        ("out: " + f.kind + "() fills arrays outside CPU memory in its own dtype only (" +
         (f.kind == "exponential" ? "float32" : "uint32") + ")")
            .c_str());
  nb::gil_scoped_release unlock;
  run(g, f, p, n);
}

/// fill_own through a raw address (__cuda_array_interface__, gpurand's DeviceArray): n values
/// of the distribution's own type.
void fill_own_address(Generator& g, const std::string& kind, std::uintptr_t address,
                      std::size_t n, double param, const discrete_table* table) {
  const own_fill f{kind, param, table};
  nb::gil_scoped_release unlock;
  run_own(g, f, reinterpret_cast<void*>(address), n);
}

/// A discrete_table from a 1-D float64 CPU array (the library checks every weight).
void make_discrete_table(discrete_table* self, const ro_array& weights) {
  if (weights.device_type() != nb::device::cpu::value)
    throw nb::value_error("weights: must be a CPU array");
  if (weights.ndim() != 1)
    throw nb::value_error(
        ("weights: needs a 1-D array, got " + std::to_string(weights.ndim()) + " dimensions")
            .c_str());
  if (!is_dtype(weights, nb::dlpack::dtype_code::Float, 64))
    throw nb::type_error("weights: needs float64 values");
  const auto* w = static_cast<const double*>(weights.data());
  const std::size_t n = weights.size();
  nb::gil_scoped_release unlock;
  new (self) discrete_table(w, n);
}

template <class T>
void fill_integers_as(Generator& g, const any_array& out, std::uint64_t low,
                      std::uint64_t span_minus_1) {
  if (out.device_type() != nb::device::cpu::value)
    throw nb::value_error("out: integers() fills CPU arrays only (for now)");
  auto* p = static_cast<T*>(out.data());
  const std::size_t n = out.size();
  nb::gil_scoped_release unlock;
  integers<T>(g, low, span_minus_1, p, n);
}

void fill_integers(Generator& g, const any_array& out, std::uint64_t low,
                   std::uint64_t span_minus_1) {
  using code = nb::dlpack::dtype_code;
  if (is_dtype(out, code::Int, 64))
    fill_integers_as<std::int64_t>(g, out, low, span_minus_1);
  else if (is_dtype(out, code::Int, 32))
    fill_integers_as<std::int32_t>(g, out, low, span_minus_1);
  else if (is_dtype(out, code::UInt, 64))
    fill_integers_as<std::uint64_t>(g, out, low, span_minus_1);
  else if (is_dtype(out, code::UInt, 32))
    fill_integers_as<std::uint32_t>(g, out, low, span_minus_1);
  else
    bad_dtype("integers", "int32, int64, uint32 or uint64");
}

// --------------------------------------------------------- BitGenerator

// Bumped in a forked child, so a BitGenerator drops the u32 values it had
// buffered in the parent (the child would repeat them). The refill then goes
// through Generator::generate, whose own fork check reseeds an OS-seeded
// generator or refuses an explicitly seeded one.
std::atomic<std::uint64_t> g_fork_epoch{0};
void on_fork_child() { g_fork_epoch.fetch_add(1, std::memory_order_relaxed); }

/// numpy/random/bitgen.h, `bitgen_t`: the layout NumPy's Generator reads
/// from the "BitGenerator" capsule (NumPy >= 1.17).
struct numpy_bitgen {
  void* state;
  std::uint64_t (*next_uint64)(void* st);
  std::uint32_t (*next_uint32)(void* st);
  double (*next_double)(void* st);
  std::uint64_t (*next_raw)(void* st);
};

/// A NumPy bit generator over one Generator. Its u32 sequence is the
/// concatenation of generate() fills of `buffer_size` values (each a fresh
/// offset window); next_uint64 takes two consecutive u32 as (low, high).
struct bit_generator {
  static constexpr std::size_t buffer_size = 16384;

  explicit bit_generator(Generator g)
      : gen(std::move(g)),
        buf(buffer_size),
        pos(buffer_size),
        epoch(g_fork_epoch.load(std::memory_order_relaxed)) {
    bg.state = this;
    bg.next_uint64 = [](void* st) { return static_cast<bit_generator*>(st)->next64(); };
    bg.next_uint32 = [](void* st) { return static_cast<bit_generator*>(st)->next32(); };
    bg.next_double = [](void* st) {
      // NumPy's convention: the top 53 bits of a u64, times 2^-53.
      return static_cast<double>(static_cast<bit_generator*>(st)->next64() >> 11) *
             (1.0 / 9007199254740992.0);
    };
    bg.next_raw = bg.next_uint64;
  }

  std::uint32_t next32() {
    if (pos == buffer_size || epoch != g_fork_epoch.load(std::memory_order_relaxed)) refill();
    return buf[pos++];
  }
  std::uint64_t next64() {
    const std::uint64_t lo = next32();
    return lo | (std::uint64_t{next32()} << 32);
  }

  // NumPy calls these through C function pointers, often without the GIL,
  // and cannot see an exception. The Python lock checks for a fork first and
  // raises ForkError there, so reaching a failure here means C code used the
  // capsule directly: stop loudly rather than return repeated numbers.
  void refill() {
    epoch = g_fork_epoch.load(std::memory_order_relaxed);
    try {
      gen.generate(buf.data(), buffer_size);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gpurand.BitGenerator: cannot draw: %s\n", e.what());
      std::abort();
    }
    pos = 0;
  }

  Generator gen;
  std::vector<std::uint32_t> buf;
  std::size_t pos;
  std::uint64_t epoch;
  numpy_bitgen bg{};
};

// ---------------------------------------------------------- device memory

/// Device memory from cudaMalloc, freed with the object; the Python
/// DeviceArray wraps it and exports DLPack and __cuda_array_interface__.
struct device_buffer {
  explicit device_buffer(std::size_t nbytes_) : nbytes(nbytes_) {
#if GPURAND_PY_HAVE_CUDA
    if (!gpu_available())
      throw Error(errc::unsupported,
                  "device='cuda' requested, but no usable CUDA device was found (use "
                  "device='cpu')");
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaMalloc(&ptr, nbytes == 0 ? 1 : nbytes) != cudaSuccess) {
      const cudaError_t err = cudaGetLastError();
      throw Error(errc::cuda_error, std::string("device='cuda': cudaMalloc of ") +
                                        std::to_string(nbytes) +
                                        " bytes failed: " + cudaGetErrorString(err));
    }
#else
    throw Error(errc::unsupported,
                "device='cuda' requested, but this gpurand module was built without CUDA");
#endif
  }
  ~device_buffer() {
#if GPURAND_PY_HAVE_CUDA
    if (ptr) cudaFree(ptr);
#endif
  }
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;

  void* ptr = nullptr;
  std::size_t nbytes = 0;
  int device = 0;
};

/// Wait for the work a __cuda_array_interface__ producer queued on `stream`
/// (1: legacy default stream, 2: per-thread default stream, else a handle).
void synchronize_stream(std::uintptr_t stream) {
#if GPURAND_PY_HAVE_CUDA
  if (!gpu_available())
    throw Error(errc::unsupported,
                "out: the array names a CUDA stream, but no usable CUDA device was found");
  cudaStream_t s = stream == 1   ? cudaStreamLegacy
                   : stream == 2 ? cudaStreamPerThread
                                 : reinterpret_cast<cudaStream_t>(stream);
  const cudaError_t err = [&] {
    nb::gil_scoped_release unlock;
    return cudaStreamSynchronize(s);
  }();
  if (err != cudaSuccess)
    throw Error(errc::cuda_error,
                std::string("out: cudaStreamSynchronize failed: ") + cudaGetErrorString(err));
#else
  (void)stream;
  throw Error(errc::unsupported, "out: CUDA streams need a gpurand module built with CUDA");
#endif
}

// ----------------------------------------------------------------- audit

audit::report run_audit(const ro_array& values, std::uint64_t window, double alpha,
                        const std::string& model, std::size_t max_listed, unsigned workers) {
  using code = nb::dlpack::dtype_code;
  if (values.device_type() != nb::device::cpu::value)
    throw nb::value_error("values: the audit reads CPU arrays only");
  if (values.ndim() != 2)
    throw nb::value_error(("values: needs a 2-D array (one row per worker), got " +
                           std::to_string(values.ndim()) + " dimensions")
                              .c_str());
  audit::layout shape;
  if (is_dtype(values, code::UInt, 32))
    shape.type = audit::dtype::u32;
  else if (is_dtype(values, code::Float, 32))
    shape.type = audit::dtype::f32;
  else if (is_dtype(values, code::Float, 64))
    shape.type = audit::dtype::f64;
  else
    throw nb::type_error("values: needs uint32, float32 or float64 values");
  // One row per worker: a grid of one block whose threads are the rows.
  shape.blocks = 1;
  shape.threads_per_block = values.shape(0);
  shape.per_thread = values.shape(1);
  audit::options opts;
  opts.window = window;
  opts.alpha = alpha;
  opts.model = audit::parse_value_model(model, "model");
  opts.max_listed = max_listed;
  opts.workers = workers;
  const void* data = values.data();
  nb::gil_scoped_release unlock;
  return audit::run(data, shape, opts);
}

std::string verdict(const audit::report& r) {
  if (r.clean()) return "clean";
  std::string v = "defects found:";
  if (r.duplicate_threads) v += " " + std::to_string(r.duplicate_threads) + " duplicate streams;";
  if (r.matched_window_pairs) v += " " + std::to_string(r.overlap_runs) + " overlapping runs;";
  if (r.values.flagged) v += " value collisions above the birthday bound;";
  v.pop_back();
  return v;
}

}  // namespace
}  // namespace gpurand::python

NB_MODULE(_gpurand, m) {
  using namespace gpurand;
  using namespace gpurand::python;
  m.doc() = "Compiled core of the gpurand package (use the `gpurand` module instead).";

  pthread_atfork(nullptr, nullptr, on_fork_child);

  g_error = PyErr_NewExceptionWithDoc(
      "gpurand.Error",
      "Any error from the gpurand library (a RuntimeError); carries the library's message.",
      PyExc_RuntimeError, nullptr);
  g_fork_error = PyErr_NewExceptionWithDoc(
      "gpurand.ForkError",
      "An explicitly seeded generator was used in a forked child, where it would repeat the "
      "parent's numbers; derive children with spawn() instead.",
      g_error, nullptr);
  m.attr("Error") = nb::borrow(g_error);
  m.attr("ForkError") = nb::borrow(g_fork_error);
  nb::register_exception_translator(translate);

  m.def("gpu_available", &gpu_available, "True when a usable CUDA device is present.");
  m.def(
      "built_with_cuda", [] { return GPURAND_PY_HAVE_CUDA != 0; },
      "True when this module (and its library) was built with the CUDA toolkit. Without it there "
      "is no GPU backend and no poisson() (it needs cuRAND's helpers): both raise gpurand.Error "
      "saying so.");
  m.def("os_entropy64", &os_entropy64, "64 bits from the OS (getrandom(2) or /dev/urandom).");

  nb::class_<Generator>(m, "_Generator",
                        "The C++ gpurand::Generator (use gpurand.Generator instead).")
      .def(
          "__init__",
          [](Generator* self, std::optional<std::uint64_t> seed, const std::string& backend) {
            options o;
            o.seed = seed;
            o.backend = parse_backend(backend, "backend");
            new (self) Generator(o);
          },
          "seed"_a.none(), "backend"_a = "auto",
          "A generator seeded from the OS (seed=None) or from `seed`, on backend "
          "'auto', 'cpu' or 'gpu'.")
      .def_prop_ro("seed", &Generator::seed, "The 64-bit seed; Generator(seed=...) repeats a run.")
      .def_prop_ro("offset", &Generator::offset, "The next offset a call will reserve.")
      .def_prop_ro(
          "backend", [](const Generator& g) { return std::string(to_string(g.backend())); },
          "'cpu' or 'gpu': where the fills run.")
      .def_prop_ro("seeded_from_os", &Generator::seeded_from_os,
                   "True when the seed came from the OS (such a generator reseeds after fork).")
      .def("spawn", nb::overload_cast<std::uint64_t, std::uint64_t>(&Generator::spawn, nb::const_),
           "index"_a, "n"_a,
           "Child `index` of `n`: same seed, a disjoint slot of the spawn space (the first "
           "spawn fixes n).")
      .def_prop_ro("state", &Generator::state,
                   "The whole state as one line of text (Generator.restore continues it).")
      .def_static(
          "restore",
          [](const std::string& state, std::optional<std::string> backend) {
            std::optional<backend_kind> b;
            if (backend) b = parse_backend(*backend, "backend");
            return Generator::restore(state, b);
          },
          "state"_a, "backend"_a.none() = nb::none(),
          "A generator that continues `state` bit for bit.")
      .def("fill_bits", &fill_bits, "out"_a.noconvert(),
           "Fill a uint32 array with raw Philox draws (the C++ generate()).")
      .def("fill_uniform", &fill_uniform, "out"_a.noconvert(),
           "Fill a float32/float64 array with uniforms in (0, 1] (the C++ uniform()).")
      .def("fill_normal", &fill_normal, "out"_a.noconvert(), "mean"_a, "stddev"_a,
           "Fill a float32/float64 array with normal * stddev + mean (the C++ normal()).")
      .def("fill_own", &fill_own, "out"_a.noconvert(), "kind"_a, "param"_a = 0.0,
           "table"_a.none() = nb::none(),
           "Fill an array with kind 'exponential' (param: the rate, float(param) reaches the "
           "C++ fill; float32), 'bernoulli' (param: p; uint32, or bool/uint8 converted on the "
           "CPU) or 'discrete' (table; uint32, or int64 converted on the CPU): the C++ "
           "exponential() / bernoulli() / discrete() fill.")
      .def("fill_own_address", &fill_own_address, "kind"_a, "address"_a, "n"_a, "param"_a = 0.0,
           "table"_a.none() = nb::none(),
           "fill_own into n values of the distribution's own type at a raw address.")
      .def("fill_log_normal", &fill_log_normal, "out"_a.noconvert(), "mean"_a, "stddev"_a,
           "Fill a float32/float64 array with exp(mean + stddev * normal) (the C++ "
           "log_normal()).")
      .def("fill_poisson", &fill_poisson, "out"_a.noconvert(), "lam"_a,
           "Fill a uint32 array with Poisson(lam) counts (the C++ poisson(out, n, lambda)).")
      .def("fill_poisson_lambdas", &fill_poisson_lambdas, "out"_a.noconvert(),
           "lambdas"_a.noconvert(),
           "Fill a uint32 array with one Poisson count per float64 lambda (the C++ "
           "poisson(out, n, lambdas)).")
      .def("fill_integers", &fill_integers, "out"_a.noconvert(), "low"_a, "span_minus_1"_a,
           "Fill an int32/int64/uint32/uint64 array with low + an exactly uniform integer in "
           "[0, span_minus_1] (Lemire's method with rejection over generate()).")
      .def("fill_address", &fill_address, "kind"_a, "address"_a, "n"_a, "mean"_a = 0.0,
           "stddev"_a = 1.0, "lam"_a = 1.0,
           "Fill n values at a raw address (host or device memory): kind is bits, "
           "random_f32, random_f64, normal_f32, normal_f64, lognormal_f32, lognormal_f64 or "
           "poisson.");

  nb::class_<discrete_table>(m, "_DiscreteTable",
                             "The C++ gpurand::discrete_table (use gpurand.DiscreteTable).")
      .def("__init__", &make_discrete_table, "weights"_a.noconvert(),
           "The alias table of 1-D float64 weights (each finite and >= 0, not all zero).")
      .def_prop_ro("size", &discrete_table::size, "Number of categories.");

  nb::class_<bit_generator>(m, "_BitGenerator",
                            "The bitgen_t core of gpurand.BitGenerator (use that instead).")
      .def(
          "__init__",
          [](bit_generator* self, Generator& parent, std::uint64_t index, std::uint64_t n) {
            new (self) bit_generator(parent.spawn(index, n));
          },
          "parent"_a, "index"_a, "n"_a,
          "Draw from child `index` of `n` of `parent` (see Generator.spawn).")
      .def(
          "__init__",
          [](bit_generator* self, std::optional<std::uint64_t> seed) {
            options o;
            o.seed = seed;
            o.backend = backend_kind::cpu;
            new (self) bit_generator(Generator(o));
          },
          "seed"_a.none(),
          "Draw from a CPU-backend Generator(seed) (refills are small: the CPU serves them "
          "faster than a round trip to a GPU, with the same bits).")
      .def_prop_ro_static(
          "buffer_size", [](nb::handle) { return bit_generator::buffer_size; },
          "u32 values per refill: one generate() call of this many values.")
      .def_prop_ro(
          "seed", [](const bit_generator& b) { return b.gen.seed(); }, "The 64-bit seed.")
      .def_prop_ro(
          "seeded_from_os", [](const bit_generator& b) { return b.gen.seeded_from_os(); },
          "True when the seed came from the OS.")
      .def_prop_ro(
          "generator", [](bit_generator& b) -> Generator& { return b.gen; },
          nb::rv_policy::reference_internal, "The underlying generator.")
      .def(
          "capsule", [](bit_generator& b) { return nb::capsule(&b.bg, "BitGenerator"); },
          "A PyCapsule named 'BitGenerator' holding NumPy's bitgen_t for this object.")
      .def(
          "fill_raw",
          [](bit_generator& b, nb::ndarray<std::uint64_t, nb::c_contig, nb::device::cpu> out) {
            std::uint64_t* p = out.data();
            const std::size_t n = out.size();
            nb::gil_scoped_release unlock;
            for (std::size_t i = 0; i < n; ++i) p[i] = b.next64();
          },
          "out"_a.noconvert(), "Fill a uint64 array with next_raw() values.")
      .def(
          "fill_uint32",
          [](bit_generator& b, nb::ndarray<std::uint32_t, nb::c_contig, nb::device::cpu> out) {
            std::uint32_t* p = out.data();
            const std::size_t n = out.size();
            nb::gil_scoped_release unlock;
            for (std::size_t i = 0; i < n; ++i) p[i] = b.next32();
          },
          "out"_a.noconvert(), "Fill a uint32 array with next_uint32() values.");

  nb::class_<device_buffer>(m, "_DeviceBuffer", "CUDA device memory owned by Python.")
      .def(nb::init<std::size_t>(), "nbytes"_a, "cudaMalloc(nbytes) on the current device.")
      .def_prop_ro(
          "address", [](const device_buffer& b) { return reinterpret_cast<std::uintptr_t>(b.ptr); },
          "The device pointer.")
      .def_ro("nbytes", &device_buffer::nbytes, "Size in bytes.")
      .def_ro("device", &device_buffer::device, "CUDA device ordinal.")
      .def(
          "as_ndarray",
          [](nb::handle self, std::vector<std::size_t> shape, const std::string& dtype) {
            auto& b = nb::cast<device_buffer&>(self);
            nb::dlpack::dtype dt = dtype == "float32"   ? nb::dtype<float>()
                                   : dtype == "float64" ? nb::dtype<double>()
                                   : dtype == "uint32"  ? nb::dtype<std::uint32_t>()
                                                        : nb::dlpack::dtype{};
            if (dt.bits == 0) throw nb::type_error(("dtype: unsupported '" + dtype + "'").c_str());
            return nb::ndarray<nb::device::cuda>(b.ptr, shape.size(), shape.data(), self, nullptr,
                                                 dt, nb::device::cuda::value, b.device);
          },
          "shape"_a, "dtype"_a, "A DLPack-exportable view (keeps this buffer alive).");

  m.def("synchronize_stream", &synchronize_stream, "stream"_a,
        "cudaStreamSynchronize on a __cuda_array_interface__ stream value.");

  nb::class_<audit::stream_match>(m, "StreamMatch",
                                  "Worker b's values repeat worker a's, shifted by `lag`: "
                                  "b[b_pos + t] == a[a_pos + t] for t < length.")
      .def_prop_ro(
          "a", [](const audit::stream_match& s) { return s.a.global; }, "Row of the first worker.")
      .def_prop_ro(
          "b", [](const audit::stream_match& s) { return s.b.global; }, "Row of the second worker.")
      .def_ro("lag", &audit::stream_match::lag, "a_pos - b_pos (0 for a full duplicate).")
      .def_ro("a_pos", &audit::stream_match::a_pos, "Start of the run in row a.")
      .def_ro("b_pos", &audit::stream_match::b_pos, "Start of the run in row b.")
      .def_ro("length", &audit::stream_match::length, "Values in the shared run.")
      .def("__repr__", [](const audit::stream_match& s) {
        return "StreamMatch(a=" + std::to_string(s.a.global) + ", b=" + std::to_string(s.b.global) +
               ", lag=" + std::to_string(s.lag) + ", a_pos=" + std::to_string(s.a_pos) +
               ", b_pos=" + std::to_string(s.b_pos) + ", length=" + std::to_string(s.length) + ")";
      });

  nb::class_<audit::report>(m, "AuditReport", "The result of gpurand.audit().")
      .def_prop_ro("clean", &audit::report::clean,
                   "True when no duplicate stream, no overlap and no excess value collisions.")
      .def_prop_ro("verdict", &verdict, "'clean', or 'defects found: ...' naming them.")
      .def_ro("duplicate_streams", &audit::report::duplicate_threads,
              "Rows whose values equal a lower row's.")
      .def_ro("duplicates", &audit::report::duplicates, "Listed duplicate pairs (lag 0).")
      .def_ro("overlap_runs", &audit::report::overlap_runs,
              "Runs of >= window values shared by two rows at a shift.")
      .def_ro("overlaps", &audit::report::overlaps, "Listed overlapping runs with their lag.")
      .def_ro("overlap_list_complete", &audit::report::overlap_list_complete,
              "False when only runs between neighbouring rows could be listed.")
      .def_ro("window", &audit::report::window, "The overlap window used, in values.")
      .def_ro("stream_checks_run", &audit::report::stream_checks_run,
              "False when rows are shorter than the window (stream checks skipped).")
      .def_prop_ro(
          "value_collisions", [](const audit::report& r) { return r.values.equal_pairs; },
          "Equal pairs among all values.")
      .def_prop_ro(
          "expected_collisions", [](const audit::report& r) { return r.values.expected; },
          "Equal pairs expected by the birthday bound for the values' resolution.")
      .def_prop_ro(
          "p_value", [](const audit::report& r) { return r.values.p_value; },
          "P(at least value_collisions equal pairs) for honest values.")
      .def_prop_ro(
          "values_flagged", [](const audit::report& r) { return r.values.flagged; },
          "True when p_value < alpha.")
      .def_prop_ro(
          "model", [](const audit::report& r) { return std::string(to_string(r.values.model)); },
          "The value model the birthday bound used.")
      .def("__str__", [](const audit::report& r) { return audit::format(r); })
      .def("__repr__", [](const audit::report& r) {
        return "AuditReport(verdict='" + verdict(r) +
               "', duplicate_streams=" + std::to_string(r.duplicate_threads) +
               ", overlap_runs=" + std::to_string(r.overlap_runs) +
               ", p_value=" + std::to_string(r.values.p_value) + ")";
      });

  m.def("audit", &run_audit, "values"_a.noconvert(), "window"_a = 0, "alpha"_a = 1e-4,
        "model"_a = "auto", "max_listed"_a = 20, "workers"_a = 0,
        "Audit a C-contiguous 2-D array, one row per worker (gpurand::audit::run).");
}
