"""Generator.spawn disjointness, proven with gpurand.audit, and the audit's
own behaviour (negative controls, results, bad arguments)."""

import numpy as np
import pytest

import gpurand


def test_spawned_children_are_disjoint_from_each_other_and_the_parent():
    g = gpurand.Generator(seed=123)
    kids = g.spawn(16)
    grand = kids[0].spawn(4)
    great = grand[3].spawn(2)
    rows = [k.bits(4096) for k in kids + grand + great] + [g.bits(4096)]
    for k in kids[:4]:
        rows.append(k.bits(4096))  # second calls of some children
    report = gpurand.audit(np.stack(rows))
    assert report.clean, str(report)
    assert report.stream_checks_run
    assert all(k.seed == 123 for k in kids)


def test_spawn_is_reproducible_and_happens_once():
    a = gpurand.Generator(seed=5).spawn(3)[2].random(50)
    b = gpurand.Generator(seed=5).spawn(3)[2].random(50)
    np.testing.assert_array_equal(a, b)
    g = gpurand.Generator(seed=5)
    assert g.spawn(0) == []
    g.spawn(3)
    for n in (3, 2):  # again: the same children, or overlapping ones
        with pytest.raises(ValueError, match="^n_children: this generator already spawned 3"):
            g.spawn(n)


def test_spawn_is_the_cpp_spawn_i_of_n():
    # child i of n owns slot i of the upper half of the root's window
    g = gpurand.Generator(seed=9)
    kids = g.spawn(4)
    half = ((1 << 64) - 1) // 2
    slot = ((1 << 64) - 1 - half) // 4
    assert [k.offset for k in kids] == [half + i * slot for i in range(4)]


def test_state_and_restore_continue_bit_for_bit():
    g = gpurand.Generator(seed=17)
    g.random(10)
    kid = g.spawn(2)[1]
    kid.bits(5)
    for gen in (g, kid):
        st = gen.state
        assert isinstance(st, str) and st.startswith("gpurand-state/")
        twin = gpurand.Generator.restore(st, backend="cpu")
        np.testing.assert_array_equal(twin.bits(100), gen.bits(100))
        assert twin.seed == gen.seed
    with pytest.raises(ValueError):
        gpurand.Generator.restore(g.state.replace("seed=17", "seed=18"))
    with pytest.raises(ValueError):
        gpurand.Generator.restore(g.state[:20])
    with pytest.raises(TypeError, match="^state"):
        gpurand.Generator.restore(b"gpurand-state/1")
    with pytest.raises(ValueError, match="backend"):
        gpurand.Generator.restore(g.state, backend="tpu")


def test_audit_catches_a_repeated_child_negative_control():
    g = gpurand.Generator(seed=1)
    kids = g.spawn(4)
    rows = np.stack([kids[0].bits(512), kids[1].bits(512),
                     gpurand.Generator(seed=1).spawn(4)[0].bits(512)])  # child 0 again
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
