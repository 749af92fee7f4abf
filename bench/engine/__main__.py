"""Command line: ``python -m bench.engine`` from the repository root.

Examples::

    python -m bench.engine --repeat-runs 3 --format markdown --output bench.md
    python -m bench.engine --sizes 1e6x64x16 --other-sizes --float32-sizes \
        --fit-sizes --threads 1          # one size, full covariance only
    python -m bench.engine --quick       # tiny sizes, seconds
"""

import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

from bench.cli import OneLineErrorParser, positive, size, sizes_help
from bench.engine import cases, measure, report

PROG = "python -m bench.engine"


def parser():
    """The argument parser (its ``--help`` documents every option)."""
    p = OneLineErrorParser(
        prog=PROG,
        description="Fit emgmm.GaussianMixture and sklearn.mixture.GaussianMixture "
        "side by side (same data, inits, iterations and threads): seconds per "
        "iteration, peak extra memory, parameter differences and the machine's "
        "bound; also other covariance types, emgmm's float32 mode and default "
        "fit() end to end. Give a --*-sizes option with no size to skip a part.",
    )
    p.add_argument(
        "--quick", action="store_true", help="tiny sizes for every part (seconds)"
    )
    parts = (
        ("sizes", cases.DEFAULT_SIZES, "full covariance, same start"),
        ("other-sizes", cases.OTHER_TYPE_SIZES, "tied, diag, spherical, same start"),
        ("float32-sizes", cases.FLOAT32_SIZES, "float32 against float64"),
        ("fit-sizes", cases.DEFAULT_FIT_SIZES, "default fit() end to end"),
    )
    for name, default, what in parts:
        p.add_argument(
            f"--{name}",
            nargs="*",
            type=size,
            metavar="NxDxK",
            help=f"sizes for {what} (default: {sizes_help(default)})",
        )
    p.add_argument(
        "--threads",
        type=positive(int),
        default=None,
        help=f"BLAS and numba threads for every fit (default: {os.cpu_count()})",
    )
    p.add_argument(
        "--n-iter",
        type=positive(int),
        default=None,
        help="EM iterations timed per fit (default: 5, --quick: 3)",
    )
    p.add_argument(
        "--repeats",
        type=positive(int),
        default=3,
        help="timed repeats per case, at least (default: 3)",
    )
    p.add_argument(
        "--min-time",
        type=positive(float),
        default=None,
        help="more repeats, at most 100, until a case has spent this many "
        "seconds (default: 2, --quick: 0)",
    )
    p.add_argument(
        "--max-time",
        type=positive(float),
        default=20.0,
        help="fewer repeats (at least 1) once a case has spent this many "
        "seconds (default: 20)",
    )
    p.add_argument(
        "--repeat-runs",
        type=positive(int),
        default=1,
        help="run the whole comparison this many times and report each "
        "figure's median and min-max over the runs (default: 1)",
    )
    p.add_argument("--seed", type=int, default=0, help="data and init seed")
    p.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default=None,
        help="report format (default: from --output's suffix .md/.json, else text)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="also write the report to this file (written once, at the end)",
    )
    return p


def _progress(row):
    """Print a finished row to stderr (a long run keeps its partial results)."""
    table = report.format_table(report.TABLES[row["part"]], [[row]], "text")
    print(f"done ({row['part']}, load {row['load']:.2f}):", file=sys.stderr)
    print(table, file=sys.stderr, flush=True)


def main(argv=None):
    """Run the benchmark and print (and optionally write) the report.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    info : dict
        Machine description.
    runs : list of (dict, list of dict)
        ``(run_info, rows)`` per run.
    """
    p = parser()
    args = p.parse_args(argv)
    defaults = (
        cases.QUICK
        if args.quick
        else {
            "sizes": cases.DEFAULT_SIZES,
            "other_sizes": cases.OTHER_TYPE_SIZES,
            "float32_sizes": cases.FLOAT32_SIZES,
            "fit_sizes": cases.DEFAULT_FIT_SIZES,
        }
    )
    plan = {
        key: default if getattr(args, key) is None else getattr(args, key)
        for key, default in defaults.items()
    }
    if not any(plan.values()):
        p.error("every part was given no sizes: nothing to run")
    fmt = args.format
    if fmt is None and args.output is not None:
        fmt = {".md": "markdown", ".json": "json"}.get(args.output.suffix)
    fmt = fmt or "text"
    if args.output is not None and not args.output.parent.is_dir():
        p.error(f"--output: folder {str(args.output.parent)!r} does not exist")
    threads = args.threads or os.cpu_count() or 1
    opts = {
        "n_iter": args.n_iter or (3 if args.quick else 5),
        "repeats": args.repeats,
        "min_time": args.min_time
        if args.min_time is not None
        else (0.0 if args.quick else 2.0),
        "max_time": args.max_time,
        "seed": args.seed,
        "memory": measure.memory_method(),
        "limit_sizes": (500, 32 * 2**20) if args.quick else (2000, 512 * 2**20),
    }
    runs = []
    with threadpool_limits(limits=threads, user_api="blas"):
        measure.set_numba_threads(threads)
        info = measure.machine_info(threads)
        for i in range(args.repeat_runs):
            print(f"run {i + 1} of {args.repeat_runs}", file=sys.stderr, flush=True)
            runs.append(measure.run(plan, opts, progress=_progress))
    text = report.format_report(info, runs, opts, fmt)
    print(text, end="")
    if args.output is not None:
        tmp = args.output.with_name(args.output.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(args.output)
    return info, runs


if __name__ == "__main__":
    main()
