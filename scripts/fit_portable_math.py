#!/usr/bin/env python3
"""Fits the polynomial coefficients of include/gpurand/detail/portable_math.hpp.

Chebyshev least-squares fits (mpmath.chebyfit, 60 digits) of the smooth
remainders, rounded to the target precision. Run once; the printed constants
are pasted into the header. Needs mpmath (pip install mpmath).
"""
import mpmath as mp

mp.mp.dps = 60
SQ = mp.sqrt(2)
LO, HI = mp.sqrt(0.5) - 1, SQ - 1


def fit(name, f, a, b, n):
    c, err = mp.chebyfit(f, [a, b], n, error=True)
    print(f"{name}: degree {n - 1}, fit error {mp.nstr(err, 3)}")
    for x in c:  # highest degree first
        print("   ", mp.nstr(x, 25))
    return c


def log_p(f):  # log1p(f) = f - f^2/2 + f^3 * P(f)   (float log)
    if abs(f) < mp.mpf(10) ** -15:
        return mp.mpf(1) / 3 - f / 4
    return (mp.log1p(f) - f + f * f / 2) / f**3


def log_r(w):  # log1p(f) = f - (h - s*(h + w*Q(w))), s = f/(2+f), w = s^2, h = f^2/2   (double log)
    if w < mp.mpf(10) ** -30:
        return mp.mpf(2) / 3 + w * 2 / 5
    s = mp.sqrt(w)
    return (2 * mp.atanh(s) - 2 * s) / (s * w)


def sin_s(w):  # sin(2 pi r) = 2 pi r + r^3 * S(r^2)
    r = mp.sqrt(w)
    if w < mp.mpf(10) ** -30:
        return -(2 * mp.pi) ** 3 / 6
    return (mp.sin(2 * mp.pi * r) - 2 * mp.pi * r) / (r * w)


def cos_c(w):  # cos(2 pi r) = 1 + r^2 * C(r^2)
    r = mp.sqrt(w)
    if w < mp.mpf(10) ** -30:
        return -(2 * mp.pi) ** 2 / 2
    return (mp.cos(2 * mp.pi * r) - 1) / w


W8 = mp.mpf(1) / 64  # r in [0, 1/8] turns
fit("float log P", log_p, LO, HI, 10)
fit("double log Q", log_r, 0, (HI / (2 + HI)) ** 2, 7)
fit("float sin S", sin_s, 0, W8, 4)
fit("float cos C", cos_c, 0, W8, 4)
fit("double sin S", sin_s, 0, W8, 6)
fit("double cos C", cos_c, 0, W8, 7)
two_pi = 2 * mp.pi
hi32 = mp.mpf(float(mp.nstr(two_pi, 30)))
print("2pi float hi/lo: use numpy float32 rounding below")
import numpy as np
h = np.float32(float(two_pi))
print("  hi", repr(float(h)), "lo", repr(float(np.float32(float(two_pi - mp.mpf(float(h)))))))
hd = float(two_pi)
print("  double hi", repr(hd), "lo", repr(float(two_pi - mp.mpf(hd))))
ln2 = mp.log(2)
print("ln2 double hi", repr(float(ln2)), "lo", repr(float(ln2 - mp.mpf(float(ln2)))))
h = np.float32(float(ln2))
print("ln2 float hi", repr(float(h)), "lo", repr(float(np.float32(float(ln2 - mp.mpf(float(h)))))))
