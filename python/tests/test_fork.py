"""Fork safety of gpurand.Generator: reseed when OS-seeded, ForkError when seeded."""

import numpy as np

import gpurand
from forkutil import in_forked_child


def test_os_seeded_generator_reseeds_in_a_forked_child():
    g = gpurand.Generator()
    g.random(4)  # used in the parent before the fork
    child = in_forked_child(lambda: (g.seed, g.bits(1000)))
    parent = g.bits(1000)
    assert child[0] == "ok"
    child_seed, child_bits = child[1]
    assert child_seed != g.seed
    assert gpurand.audit(np.stack([parent, child_bits])).clean


def test_parent_stream_continues_unchanged_after_a_fork():
    g = gpurand.Generator(seed=None)
    seed = g.seed
    first = g.bits(16)
    in_forked_child(lambda: g.bits(16))
    second = g.bits(16)
    ref = gpurand.Generator(seed=seed)
    np.testing.assert_array_equal(first, ref.bits(16))
    np.testing.assert_array_equal(second, ref.bits(16))


def test_explicitly_seeded_generator_raises_fork_error_in_a_child():
    g = gpurand.Generator(seed=42)
    g.random(4)
    res = in_forked_child(lambda: g.random(4))
    assert res[0] == "err" and res[1] == "ForkError", res
    assert "Generator(seed=42)" in res[2] and "spawn" in res[2]
    assert "gpurand.Generator(seed=S).spawn(n_workers)[worker_index]" in res[2]
    # also before any use in the parent
    h = gpurand.Generator(seed=43)
    assert in_forked_child(lambda: h.bits(1))[1] == "ForkError"


def test_seeded_generator_may_spawn_in_a_child_once_if_the_parent_did_not():
    h = gpurand.Generator(seed=43)
    res = in_forked_child(lambda: h.spawn(4)[2].bits(64))
    assert res[0] == "ok", res
    np.testing.assert_array_equal(res[1], gpurand.Generator(seed=43).spawn(4)[2].bits(64))
    h.spawn(4)  # the parent spawned: a child would hand out the same children again
    res = in_forked_child(lambda: h.spawn(4))
    assert res[0] == "err" and res[1] == "ValueError" and "already spawned" in res[2]


def test_fork_error_is_a_gpurand_error_and_a_runtime_error():
    g = gpurand.Generator(seed=1)

    def check():
        try:
            g.bits(1)
        except RuntimeError as e:
            return isinstance(e, gpurand.Error), isinstance(e, gpurand.ForkError)
        return None

    assert in_forked_child(check) == ("ok", (True, True))


def test_worker_recipe_for_explicit_seeds_works_in_a_child():
    def worker(i):
        return lambda: gpurand.Generator(seed=42).spawn(4)[i].bits(256)

    rows = [in_forked_child(worker(i)) for i in range(4)]
    assert all(r[0] == "ok" for r in rows)
    rows = np.stack([r[1] for r in rows])
    assert gpurand.audit(rows).clean
    np.testing.assert_array_equal(rows[2], gpurand.Generator(seed=42).spawn(4)[2].bits(256))


def test_os_seeded_spawn_in_a_child_takes_a_new_seed():
    g = gpurand.Generator()
    g.spawn(2)  # spawned in the parent: the child has a new seed, so it may spawn again
    res = in_forked_child(lambda: [c.seed for c in g.spawn(2)] + [g.seed])
    assert res[0] == "ok"
    assert g.seed not in res[1]
    assert len(set(res[1])) == 1
