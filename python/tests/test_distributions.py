"""lognormal() and poisson(): the bits of the C++ fills (through the CLI's count mode), the
per-element lam layout, and every bad argument a ValueError/TypeError naming it."""

import subprocess

import numpy as np
import pytest

import gpurand

# Poisson draws through cuRAND's helpers (curand_poisson's gammainc regime): a module built
# without the CUDA toolkit refuses it (test_poisson_without_the_toolkit_is_a_clear_error).
needs_toolkit = pytest.mark.skipif(
    not gpurand.built_with_cuda(),
    reason="poisson needs the CUDA toolkit; this module was built without it")

def cli_fill(cli, dist, count, dtype, *flags):
    out = subprocess.run([cli, "generate", "--seed", "7", "--dist", dist, "--count", str(count),
                          "--backend", "cpu", "--format", "raw", "--output", "-", *flags],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=dtype)


@pytest.mark.parametrize("dtype,dist", [(np.float32, "log-normal"),
                                        (np.float64, "log-normal-double")])
def test_lognormal_equals_the_cli_bulk_fill(cli, dtype, dist):
    got = gpurand.Generator(seed=7, backend="cpu").lognormal(-0.5, 1.25, 1001, dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, cli_fill(cli, dist, 1001, dtype, "--mean", "-0.5",
                                                "--stddev", "1.25"))


@needs_toolkit
@pytest.mark.parametrize("lam", [0.001, 12.5, 63.99, 64.0, 700.0, 4000.01, 1e6])
def test_poisson_equals_the_cli_bulk_fill_in_every_regime(cli, lam):
    got = gpurand.Generator(seed=7, backend="cpu").poisson(lam, 1001)
    assert got.dtype == np.uint32
    np.testing.assert_array_equal(got, cli_fill(cli, "poisson", 1001, np.uint32,
                                                "--lambda", repr(lam)))


@needs_toolkit
def test_poisson_lam_array_is_the_per_element_layout():
    # Groups of four equal lambdas are the one-lambda layout's groups.
    lams = np.repeat([0.5, 30.0, 900.0, 5000.0, 2.0], 4).reshape(4, 5)
    got = gpurand.Generator(seed=3, backend="cpu").poisson(lams)
    assert got.shape == (4, 5) and got.dtype == np.uint32
    flat = got.ravel()
    for j, lam in enumerate(lams.ravel()[::4]):
        ref = gpurand.Generator(seed=3, backend="cpu").poisson(lam, 20)
        np.testing.assert_array_equal(flat[4 * j:4 * j + 4], ref[4 * j:4 * j + 4])
    g = gpurand.Generator(seed=3, backend="cpu")
    out = np.zeros((4, 5), np.uint32)
    assert g.poisson(lams, out=out) is out
    np.testing.assert_array_equal(out, got)
    assert g.offset == 1024  # one Poisson call: bulk_draws(poisson)


@needs_toolkit
def test_poisson_values_look_right():
    g = gpurand.Generator(seed=11, backend="cpu")
    k = g.poisson(10.0, 100000)
    assert abs(k.mean() - 10.0) < 0.1 and abs(k.var() - 10.0) < 0.3
    assert np.isscalar(g.poisson(3.0))


def test_lognormal_values_look_right():
    g = gpurand.Generator(seed=11, backend="cpu")
    x = g.lognormal(0.0, 0.5, 100000)
    assert abs(np.log(x).mean()) < 0.01 and abs(np.log(x).std() - 0.5) < 0.01
    assert np.isscalar(g.lognormal())


@pytest.mark.skipif(gpurand.built_with_cuda(), reason="this module has poisson (built with the toolkit)")
@pytest.mark.parametrize("lam", [10.0, [1.0, 2.0]])
def test_poisson_without_the_toolkit_is_a_clear_error(lam):
    g = gpurand.Generator(seed=1, backend="cpu")
    with pytest.raises(gpurand.Error, match="poisson needs cuRAND") as e:
        g.poisson(lam, None if isinstance(lam, list) else 3)
    assert "without the CUDA toolkit" in str(e.value)
    assert g.offset == 0


@pytest.mark.parametrize("call,exc,name", [
    pytest.param(lambda g: g.poisson(0.0, 3), ValueError, "lam", marks=needs_toolkit),
    pytest.param(lambda g: g.poisson(-1.0, 3), ValueError, "lam", marks=needs_toolkit),
    pytest.param(lambda g: g.poisson(np.nan, 3), ValueError, "lam", marks=needs_toolkit),
    pytest.param(lambda g: g.poisson(np.inf, 3), ValueError, "lam", marks=needs_toolkit),
    pytest.param(lambda g: g.poisson(5e9, 3), ValueError, "lam", marks=needs_toolkit),
    pytest.param(lambda g: g.poisson([1.0, 2.0, -3.0]), ValueError, "lam[2]", marks=needs_toolkit),
    (lambda g: g.poisson("a"), TypeError, "lam"),
    (lambda g: g.poisson([1.0, 2.0], size=3), ValueError, "size"),
    (lambda g: g.poisson([1.0, 2.0], out=np.zeros(3, np.uint32)), ValueError, "out"),
    (lambda g: g.poisson(2.0, out=np.zeros(3, np.int64)), TypeError, "out"),
    (lambda g: g.lognormal(np.nan, 1.0, 3), ValueError, "mean"),
    (lambda g: g.lognormal(0.0, -1.0, 3), ValueError, "sigma"),
    (lambda g: g.lognormal(0.0, np.inf, 3), ValueError, "sigma"),
    (lambda g: g.lognormal(80.0, 2.0, 3, np.float32), ValueError, "sigma"),
    (lambda g: g.lognormal("a", 1.0, 3), TypeError, "mean"),
    (lambda g: g.lognormal(0.0, 1.0, 3, np.int32), TypeError, "dtype"),
])
def test_bad_arguments_name_the_argument_and_consume_nothing(call, exc, name):
    g = gpurand.Generator(seed=1, backend="cpu")
    with pytest.raises(exc, match=name.replace("[", r"\[").replace("]", r"\]")) as e:
        call(g)
    assert str(e.value).startswith(name)
    assert g.offset == 0
