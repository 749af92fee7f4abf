"""The whole pipeline on a folder of Parquet shards: wall time and memory per rule.

    python -m bench.large --rows 1e7 --shards 10 --cores 2
    python -m bench.large --rows 1e6 --shards 4 --cores 1 2 --keep /tmp/large

Writes ``--rows`` rows of a seeded mixture of 8 Gaussians in 10 dimensions
(``--features``), with the component in a ``label`` column, as ``--shards``
Parquet files; then, for each ``--cores``, runs ``snakemake --cores N`` in a
fresh directory on ``configs/large.yaml`` with that folder as its dataset
(``source: file``) and the UMAP transform in ``--chunks`` jobs. Reported, from
Snakemake's ``benchmarks/`` files: per rule the jobs, the sum of their wall
and CPU seconds and the largest peak resident memory (``max_rss``) of any of
its jobs; the run's wall time; and, for two or more ``--cores``, whether
every numeric output (``.npz``, ``summary.tsv`` but for the thread count it
records) is the same bytes.
"""

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.engine.measure import cpu_model
from bench.workflow.__main__ import REPO, _env, load_config, per_rule, run_snakemake

PROG = "python -m bench.large"


def write_shards(folder, rows, shards, features=10, components=8, seed=0):
    """``rows`` rows of a seeded Gaussian mixture as ``shards`` Parquet files."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(components, features))
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, rows, shards + 1).astype(int)
    columns = [f"x{j}" for j in range(features)]
    for i, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        block = np.random.default_rng([seed, i])
        label = block.integers(0, components, size=stop - start)
        frame = pd.DataFrame(
            centres[label] + block.normal(size=(stop - start, features)),
            columns=columns,
        )
        frame["label"] = label
        frame.to_parquet(folder / f"part-{i:04d}.parquet", index=False)


def large_config(shards, chunks):
    """configs/large.yaml, reading the shards in ``shards`` instead of make_blobs."""
    config = load_config(REPO / "configs/large.yaml")
    config["datasets"] = {
        "large": {"source": "file", "path": str(shards), "label_column": "label"}
    }
    config["umap"]["transform_chunks"] = chunks
    return config


def numeric_outputs(workdir):
    """Every ``.npz`` under ``results/`` and the summary table, by path: the
    summary without its ``threads`` column, the thread count each run records
    (``min(threads.fit, --cores)``)."""
    results = Path(workdir, "results")
    outputs = {
        str(p.relative_to(results)): p.read_bytes()
        for p in sorted(results.rglob("*.npz"))
    }
    rows = [
        line.split("\t") for line in (results / "summary.tsv").read_text().splitlines()
    ]
    keep = [i for i, name in enumerate(rows[0]) if name != "threads"]
    outputs["summary.tsv"] = "\n".join(
        "\t".join(row[i] for i in keep) for row in rows
    ).encode()
    return outputs


def _mark(rule):
    return " *" if rule["in_process"] else " †" if rule["own_process"] else ""


def report(args, runs):
    """The measurements as Markdown."""
    lines = [
        f"{args.rows:,} rows x {args.features} in {args.shards} Parquet shards, "
        f"configs/large.yaml, {args.chunks} transform jobs; {cpu_model()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
    ]
    for cores, run in runs.items():
        lines += [
            f"--cores {cores}: {run['wall_s']:.0f} s wall, "
            f"load average {run['load_before']:.1f} before",
            "",
            "| rule | jobs | wall s (sum) | CPU s (sum) | largest job's max_rss MB |",
            "| --- | --- | --- | --- | --- |",
        ]
        for rule, r in sorted(run["rules"].items(), key=lambda kv: -kv[1]["wall_s"]):
            lines.append(
                f"| {rule} | {r['jobs']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
                f"| {r['max_rss_mb']:.0f}{_mark(r)} |"
            )
        lines.append("")
    lines += [
        "\\* run inside the Snakemake process: CPU from the job's log, memory the "
        "whole process's; † run: rule in a process of its own (large inputs): "
        "CPU and peak memory (VmHWM) from the job's log",
        "",
    ]
    if len(runs) > 1:
        first, *rest = runs.values()
        same = all(r["outputs"] == first["outputs"] for r in rest)
        differ = sorted(
            {
                k
                for r in rest
                for k in first["outputs"]
                if r["outputs"].get(k) != first["outputs"][k]
            }
        )
        lines.append(
            f"numeric outputs ({len(first['outputs'])} files) the same bytes at "
            f"--cores {', '.join(map(str, runs))}: {same}"
            + (f" (differ: {', '.join(differ)})" if differ else "")
        )
    return "\n".join(lines)


def main(argv=None):
    from bench.cli import OneLineErrorParser, positive

    parser = OneLineErrorParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=positive(float), default=1e7)
    parser.add_argument("--shards", type=positive(int), default=10)
    parser.add_argument("--features", type=positive(int), default=10)
    parser.add_argument("--chunks", type=positive(int), default=10)
    parser.add_argument("--cores", type=positive(int), nargs="+", default=[2])
    parser.add_argument("--keep", type=Path, help="keep the shards and runs here")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    args = parser.parse_args(argv)
    args.rows = int(args.rows)
    if args.rows < max(args.shards, 2 * args.chunks):
        parser.error(
            f"--rows {args.rows} is fewer than the shards or twice the chunks; "
            "give more rows"
        )

    root = Path(args.keep or tempfile.mkdtemp(prefix="emgmm-bench-large-"))
    try:
        shards = root / "shards"
        if not shards.exists():
            t0 = time.perf_counter()
            write_shards(shards, args.rows, args.shards, args.features)
            print(
                f"wrote {shards} in {time.perf_counter() - t0:.0f} s", file=sys.stderr
            )
        config = large_config(shards.resolve(), args.chunks)
        from emgmm.runtime import default_numba_cache_dir

        env = _env(os.environ.get("NUMBA_CACHE_DIR") or default_numba_cache_dir())
        runs = {}
        for cores in args.cores:
            workdir = root / f"cores{cores}"
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            (workdir / "config.yaml").write_text(
                yaml.safe_dump(config, sort_keys=False)
            )
            load = os.getloadavg()[0]
            run = run_snakemake(workdir, cores, env)
            run.update(
                load_before=load,
                rules=per_rule(workdir),
                outputs=numeric_outputs(workdir),
            )
            runs[cores] = run
            print(f"--cores {cores}: {run['wall_s']:.0f} s", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(report(args, runs))
    if args.json:
        for run in runs.values():
            run["outputs"] = sorted(run["outputs"])
        args.json.write_text(json.dumps(runs, indent=2) + "\n")


if __name__ == "__main__":
    main()
