"""Command line: ``python -m bench.peers`` from the repository root.

Examples::

    python -m bench.peers --sizes 1e3x2x4 1e4x16x8 --threads 1 2 --runs 3 \
        --output peers.md --json peers.json
    python -m bench.peers --peers emgmm sklearn onedal --sizes 1e6x2x4
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.cli import OneLineErrorParser, positive, size, sizes_help
from bench.engine import cases
from bench.engine.measure import ROOT, cpu_model, git_commit, load_average
from bench.peers import report
from bench.peers.adapters import ALIASES, PEERS
from bench.peers.child import kmeans_start

PROG = "python -m bench.peers"

SIZES = [
    (n, d, k)
    for n in (1_000, 10_000, 100_000, 1_000_000)
    for d, k in sorted({(d, k) for _, d, k in cases.DEFAULT_SIZES})
]
"""N = 1e3 ... 1e6 with the engine benchmark's (d, K) pairs."""

FIRST_CALL_SIZE = (500, 2, 3)
"""The small table of the first-call part (as in ``bench.first_call``)."""


def parser():
    """The argument parser (its ``--help`` documents every option)."""
    p = OneLineErrorParser(
        prog=PROG,
        description="Every EM peer side by side (full covariance, float64): "
        "seconds per EM iteration from scikit-learn's k-means start, the "
        "default fit end to end, the first call in a fresh process, peak "
        "extra memory and the final log-likelihood per sample. Each peer "
        "and size runs in its own process; a missing peer is a 'skipped' row.",
    )
    p.add_argument(
        "--sizes",
        nargs="+",
        type=size,
        metavar="NxDxK",
        default=SIZES,
        help=f"sizes (default: {sizes_help(SIZES)})",
    )
    p.add_argument(
        "--threads",
        nargs="+",
        type=positive(int),
        default=[1, 2],
        help="thread counts, each peer limited its own way (default: 1 2)",
    )
    p.add_argument(
        "--runs",
        type=positive(int),
        default=3,
        help="processes per peer, size and thread count; cells are median "
        "(min-max) over them (default: 3)",
    )
    p.add_argument(
        "--peers",
        nargs="+",
        choices=list(ALIASES),
        default=list(ALIASES),
        help="peers to run (default: all)",
    )
    p.add_argument(
        "--n-iter",
        type=positive(int),
        default=5,
        help="EM iterations timed per fit (default: 5)",
    )
    p.add_argument(
        "--min-time",
        type=positive(float),
        default=1.0,
        help="repeat a process's timed pairs of fits until this many seconds "
        "(at most 30 pairs; default: 1)",
    )
    p.add_argument(
        "--budget",
        type=positive(float),
        default=120.0,
        help="seconds a peer's process may take at one size; past it the "
        "process is stopped and larger sizes of that peer are skipped "
        "(default: 120)",
    )
    p.add_argument(
        "--no-default-fit",
        action="store_true",
        help="time the same-start fits only, not each library's default fit "
        "(oneDAL's default fit at d = 64 takes minutes from 1e5 rows)",
    )
    p.add_argument(
        "--no-first-call",
        action="store_true",
        help="skip the first-call part (import + first fit in a fresh process)",
    )
    p.add_argument("--seed", type=int, default=0, help="data and k-means seed")
    p.add_argument(
        "--output", type=Path, help="also write the markdown report to this file"
    )
    p.add_argument("--json", type=Path, help="write every measurement here")
    return p


def _child(spec, threads, budget, workdir):
    """Run one child; its JSON result, or ``(status, detail)`` on failure."""
    peer = PEERS[spec["peer"]]
    path = Path(workdir) / "spec.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, **peer.env(threads)}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.peers.child", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: a timeout stops the JVM too
    )
    try:
        out, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return None, f"> {budget:g} s budget"
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        print(err, file=sys.stderr)
        last = (err.strip().splitlines() or ["no message"])[-1]
        return None, f"failed: {last[:160]}"
    result = json.loads(out.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result, None


def _write_case(workdir, n, d, k, seed):
    """Data (``.npy``, raw ``.bin`` for R) and the k-means start (``.npz``)."""
    X = cases.make_data(n, d, k, seed)
    files = {
        "data": str(Path(workdir) / "X.npy"),
        "data_bin": str(Path(workdir) / "X.bin"),
        "init": str(Path(workdir) / "init.npz"),
    }
    np.save(files["data"], X)
    X.tofile(files["data_bin"])
    np.savez(files["init"], **kmeans_start(X, k, seed))
    return files


def _label(n, d, k):
    return f"({n:.0e}, {d}, {k})".replace("+0", "")


def _progress(row):
    print(report.progress_line(row), file=sys.stderr, flush=True)


def _write(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _save(args, head, rows):
    """Write the report and the JSON (after every row: a long run keeps
    what it measured if it is stopped)."""
    text = report.format_report(head, rows)
    if args.output is not None:
        _write(args.output, text)
    if args.json is not None:
        doc = {"info": head, "rows": rows}
        _write(args.json, json.dumps(report.plain(doc), indent=1) + "\n")
    return text


def run(args, peers, on_row=None):
    """Every row: first calls, then each size (runs inside a size)."""
    rows, over_budget = [], {}
    missing = {name: PEERS[name].missing() for name in peers}
    base = {"n_iter": args.n_iter, "seed": args.seed, "min_time": args.min_time}
    base["default_fit"] = not args.no_default_fit
    with tempfile.TemporaryDirectory(prefix="emgmm-peers-") as workdir:
        parts = [("first", FIRST_CALL_SIZE)] * (not args.no_first_call)
        parts += [("case", s) for s in args.sizes]
        for mode, (n, d, k) in parts:
            files = _write_case(workdir, n, d, k, args.seed)
            for run_index in range(args.runs):
                for threads in args.threads:
                    for name in peers:
                        row = {"mode": mode, "peer": name, "n": n, "d": d, "k": k}
                        row.update(threads=threads, run=run_index + 1)
                        past = over_budget.get(name)
                        if missing[name]:
                            row["status"] = f"skipped: {missing[name]}"
                        elif mode == "case" and past and n >= past[0] and d >= past[1]:
                            row["status"] = f"skipped: {past[2]}"
                        else:
                            spec = {**base, **files, "mode": mode, "peer": name}
                            spec.update(threads=threads, n=n, d=d, k=k)
                            result, status = _child(spec, threads, args.budget, workdir)
                            row.update(result or {})
                            row["status"] = status or "ok"
                            if status and status.startswith(">") and mode == "case":
                                what = f"{status} at {_label(n, d, k)}"
                                over_budget[name] = (n, d, what)
                                row["status"] = f"skipped: {status}"
                        row["load"] = load_average()
                        rows.append(row)
                        _progress(row)
                        if on_row is not None:
                            on_row(rows)
    return rows


def info(args, peers):
    """Machine, versions, commit and the command, for the report's header."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "commit": git_commit(),
        "command": " ".join([PROG, *sys.argv[1:]])
        if sys.argv[0].endswith("__main__.py")
        else PROG,
        "versions": {name: PEERS[name].version() for name in peers},
        "threads_how": {name: PEERS[name].how_threads for name in peers},
        "runs": args.runs,
        "n_iter": args.n_iter,
        "min_time": args.min_time,
        "default_fit": not args.no_default_fit,
        "budget": args.budget,
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main(argv=None):
    """Run the benchmark; print the markdown report (and write the files).

    Parameters
    ----------
    argv : list of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    info : dict
    rows : list of dict
        One per peer, size (or first call), thread count and run.
    """
    p = parser()
    args = p.parse_args(argv)
    for path in (args.output, args.json):
        if path is not None and not path.parent.is_dir():
            p.error(f"folder {str(path.parent)!r} does not exist")
    peers = [ALIASES[name] for name in dict.fromkeys(args.peers)]
    peers.sort(key=list(PEERS).index)
    head = info(args, peers)
    head["load_start"] = load_average()
    start = time.perf_counter()

    def finish(rows):
        head["minutes"] = (time.perf_counter() - start) / 60
        head["load_end"] = load_average()
        return _save(args, head, rows)

    rows = run(args, peers, on_row=finish)
    print(finish(rows), end="")
    return head, rows


if __name__ == "__main__":
    main()
