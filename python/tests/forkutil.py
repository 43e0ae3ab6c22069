"""Run a function in a forked child and bring back its result or exception."""

import os
import pickle
import traceback


def in_forked_child(fn):
    """fn() in os.fork()'s child; returns ("ok", value) or ("err", type name, message)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            try:
                res = ("ok", fn())
            except BaseException as e:  # report everything to the parent
                res = ("err", type(e).__name__, str(e), traceback.format_exc())
            with os.fdopen(w, "wb") as f:
                pickle.dump(res, f)
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return pickle.loads(data)
