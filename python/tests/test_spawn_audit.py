"""Generator.spawn disjointness, proven with gpurand.audit, and the audit's
own behaviour (negative controls, results, bad arguments)."""

import numpy as np
import pytest

import gpurand


def test_spawned_children_are_disjoint_from_each_other_and_the_parent():
    g = gpurand.Generator(seed=123)
    kids = g.spawn(16)
    later = g.spawn(4)  # successive calls continue with new children
    grand = kids[0].spawn(4)
    rows = [k.bits(4096) for k in kids + later + grand] + [g.bits(4096)]
    for k in kids[:4]:
        rows.append(k.bits(4096))  # second calls of some children
    report = gpurand.audit(np.stack(rows))
    assert report.clean, str(report)
    assert report.stream_checks_run
    assert all(k.seed == 123 for k in kids)


def test_spawn_is_reproducible():
    a = gpurand.Generator(seed=5).spawn(3)[2].random(50)
    b = gpurand.Generator(seed=5).spawn(3)[2].random(50)
    np.testing.assert_array_equal(a, b)
    g = gpurand.Generator(seed=5)
    g.spawn(2)
    np.testing.assert_array_equal(g.spawn(1)[0].random(50), a)  # child index 2
    assert g.spawn(0) == []


def test_audit_catches_a_repeated_child_negative_control():
    g = gpurand.Generator(seed=1)
    kids = g.spawn(4)
    rows = np.stack([kids[0].bits(512), kids[1].bits(512),
                     gpurand.Generator(seed=1).spawn(1)[0].bits(512)])  # child 0 again
    r = gpurand.audit(rows)
    assert not r.clean
    assert r.duplicate_streams == 1
    (d,) = r.duplicates
    assert (d.a, d.b, d.lag, d.length) == (0, 2, 0, 512)
    assert r.verdict.startswith("defects found")
    assert "duplicate" in str(r)


def test_audit_reports_overlaps_with_their_lag():
    x = gpurand.Generator(seed=2).bits(1000)
    rows = np.stack([x[:500], x[3:503], gpurand.Generator(seed=3).bits(500)])
    r = gpurand.audit(rows)
    assert r.duplicate_streams == 0 and r.overlap_runs == 1
    (o,) = r.overlaps
    assert (o.a, o.b, o.lag, o.length) == (0, 1, 3, 497)
    assert "lag=3" in repr(o)


def test_audit_value_collisions_p_value():
    honest = gpurand.Generator(seed=4).random((64, 256), np.float32)
    r = gpurand.audit(honest)
    assert r.clean and r.p_value > 1e-4 and r.model == "uniform_f32"
    coarse = np.round(honest, 3).astype(np.float32)  # only 1001 distinct values
    bad = gpurand.audit(coarse, model="uniform_f32")
    assert bad.values_flagged and bad.p_value < 1e-4 and not bad.clean
    assert bad.value_collisions > bad.expected_collisions


@pytest.mark.parametrize("values,kwargs,exc,name", [
    (np.zeros(10, np.uint32), {}, ValueError, "values"),
    (np.zeros((2, 3, 4), np.uint32), {}, ValueError, "values"),
    (np.zeros((4, 8), np.int64), {}, TypeError, "values"),
    (np.zeros((0, 8), np.uint32), {}, ValueError, "values"),
    (np.zeros((3, 0), np.uint32), {}, ValueError, "values"),
    (np.ones((4, 8), np.uint32), {"window": -1}, ValueError, "window"),
    (np.ones((4, 8), np.uint32), {"window": 9}, ValueError, "window"),
    (np.ones((4, 8), np.uint32), {"alpha": 1.5}, ValueError, "alpha"),
    (np.ones((4, 8), np.uint32), {"alpha": "x"}, TypeError, "alpha"),
    (np.ones((4, 8), np.uint32), {"model": "zipf"}, ValueError, "model"),
    (np.ones((4, 8), np.uint32), {"max_listed": 1.5}, TypeError, "max_listed"),
])
def test_bad_audit_arguments(values, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        gpurand.audit(values, **kwargs)


def test_audit_accepts_read_only_and_non_contiguous_input():
    rows = gpurand.Generator(seed=6).bits((8, 64))
    rows.setflags(write=False)
    assert gpurand.audit(rows).clean
    assert gpurand.audit(np.asfortranarray(rows)).clean
    assert gpurand.audit(rows[:, ::2]).clean
