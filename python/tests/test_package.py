"""The package surface: docstrings on every public name, the committed stubs."""

import inspect
import pathlib
import subprocess
import sys

import pytest

import gpurand

PKG = pathlib.Path(__file__).resolve().parents[1] / "gpurand"


def public_names():
    for name in gpurand.__all__:
        obj = getattr(gpurand, name)
        yield name, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") or attr in ("__cuda_array_interface__", "__dlpack__",
                                                        "__dlpack_device__"):
                    yield f"{name}.{attr}", member


@pytest.mark.parametrize("name,obj", list(public_names()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_public_name_has_a_docstring(name, obj):
    if isinstance(obj, (int, str)):
        return  # constants such as BitGenerator.buffer_size
    doc = getattr(obj, "__doc__", None)
    if isinstance(obj, property):
        doc = obj.fget.__doc__
    assert doc and doc.strip(), name


def test_committed_stub_matches_the_module(tmp_path):
    pytest.importorskip("nanobind.stubgen")
    out = tmp_path / "_gpurand.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "gpurand._gpurand",
                    "-o", str(out)], check=True)
    assert out.read_text() == (PKG / "_gpurand.pyi").read_text(), (
        "python/gpurand/_gpurand.pyi is stale: regenerate it with "
        "python -m nanobind.stubgen -m gpurand._gpurand -o python/gpurand/_gpurand.pyi")
    assert (PKG / "py.typed").exists()
