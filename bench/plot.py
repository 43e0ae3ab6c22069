#!/usr/bin/env python3
"""Plot gpurand-bench JSON: fill throughput (GSamples/s) against n, with the baseline and the
roofline drawn on each panel.

    python3 bench/plot.py RESULTS.json -o RESULTS.png [--title TEXT]

One panel per (backend, dist) of the `fill` rows: gpurand, its baseline (cuRAND, measured in
the same run) and the write roofline of the same buffer converted to samples
(roofline_gbytes_per_s / value_bytes). x is log2(n), y is log-scaled. Needs matplotlib
(Debian: python3-matplotlib). Plots only what the JSON holds: nothing is extrapolated.
"""

import argparse
import json
import sys

DIST_ORDER = ["u32", "uniform", "normal", "uniform-double", "normal-double"]


def load(path):
    with open(path, encoding="utf-8") as f:
        rows = json.load(f)
    if not isinstance(rows, list):
        sys.exit(f"plot.py: {path}: expected a JSON array of records")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json", help="gpurand-bench --json output")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--title", default=None, help="figure title (default: device and date)")
    ap.add_argument("--dpi", type=int, default=80, help="resolution (default 80: a small PNG)")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    rows = [r for r in load(args.json) if r.get("case") == "fill"]
    if not rows:
        sys.exit(f"plot.py: {args.json} has no 'fill' records to plot")
    backends = [b for b in ("cpu", "gpu") if any(r["backend"] == b for r in rows)]
    dists = [d for d in DIST_ORDER if any(r["dist"] == d for r in rows)]

    fig, axes = plt.subplots(len(backends), len(dists), squeeze=False,
                             figsize=(3.4 * len(dists), 3.1 * len(backends)))
    for bi, backend in enumerate(backends):
        for di, dist in enumerate(dists):
            ax = axes[bi][di]
            sel = sorted((r for r in rows if r["backend"] == backend and r["dist"] == dist),
                         key=lambda r: r["n"])
            if not sel:
                ax.set_visible(False)
                continue
            n = [r["n"] for r in sel]

            def series(key, scale=1.0, rows=sel):
                return [r[key] * scale if r.get(key) is not None else float("nan") for r in rows]

            roof = [r["roofline_gbytes_per_s"] / r["value_bytes"]
                    if r.get("roofline_gbytes_per_s") is not None else float("nan") for r in sel]
            ax.plot(n, roof, "k--", label=f"roofline ({sel[0]['roofline']})")
            ax.plot(n, series("baseline_gsamples_per_s"), "s-", color="tab:red",
                    label=sel[0]["baseline"])
            ax.plot(n, series("gsamples_per_s"), "o-", color="tab:blue", label="gpurand")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(f"{backend} fill {dist}", fontsize=10)
            ax.set_xlabel("n (values per call)", fontsize=8)
            if di == 0:
                ax.set_ylabel("GSamples/s", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=6, loc="best")

    first = rows[0]
    title = args.title or "gpurand-bench, {}: {}".format(
        first.get("date", "?")[:10],
        "; ".join(sorted({r["device"] for r in rows})))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(args.output, dpi=args.dpi)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
