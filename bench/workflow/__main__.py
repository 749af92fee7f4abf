"""Time the Snakemake workflow against the same work in one Python process.

    python -m bench.workflow --config config.yaml --cores 2
    python -m bench.workflow --config bench/workflow/sweep.yaml --cores 2 --cold

For each repeat, in fresh scratch directories (the config copied in as
``config.yaml``, the repository's Snakefile):

1. ``snakemake --cores N``, clean: wall time, jobs, and per rule the jobs,
   wall and CPU seconds from Snakemake's ``benchmarks/`` files;
2. the same jobs' scripts called in one process (:mod:`bench.workflow.one_process`),
   each job's wall time;
3. unless ``--no-add-k``: one more K value appended to the config, and the
   rerun of ``snakemake`` timed.

Both use the same numba cache directory and the same UMAP code; whether that
cache held umap's and emgmm's kernels before the run is printed, and how many
kernels the run compiled all the same (a cache for another CPU or source).
``--cold`` gives each run a fresh, empty ``NUMBA_CACHE_DIR`` (the operating
system's file cache stays warm). ``--json`` writes everything measured.
"""

import argparse
import copy
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from . import one_process

REPO = one_process.REPO


def load_config(path):
    """The config as the Snakefile sees it: validated, schema defaults filled."""
    from emgmm.pipeline.config import validate_config

    config = yaml.safe_load(Path(path).read_text())
    return validate_config(config, REPO / "workflow/schemas/config.schema.yaml")


def compiled_kernels(cache_dir):
    """The compiled kernels (``.nbc`` files) in ``cache_dir``, with their mtimes.

    numba writes a new file for a new entry and rewrites the old ones when a
    source file changed: either shows in the difference of two calls.
    """
    return {
        (p.relative_to(cache_dir), p.stat().st_mtime_ns)
        for p in Path(cache_dir).rglob("*.nbc")
    }


def numba_cache_state(cache_dir):
    """``"warm"`` if ``cache_dir`` holds both umap's and emgmm's kernels."""
    index = [p.name for p in Path(cache_dir).rglob("*.nbi")] if cache_dir else []
    umap = any(n.startswith(("umap_", "layouts.", "umap.")) for n in index)
    emgmm = any(n.startswith("_em_numba.") for n in index)
    if umap and emgmm:
        return "warm"
    return "cold" if not (umap or emgmm) else f"partial (umap {umap}, emgmm {emgmm})"


def cache_label(state, compiled):
    """The cache's state before a run and the kernels the run compiled.

    A cache can hold both packages' kernels and still miss (another CPU, an
    edited source file): then the run compiles, and is not called warm.
    """
    if not compiled:
        return state
    return f"{'missed' if state == 'warm' else state}: {compiled} kernels compiled"


def _env(cache_dir):
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), str(REPO), env.get("PYTHONPATH")) if p
    )
    return env


def _cpu_children():
    t = os.times()
    return t.children_user + t.children_system


def run_snakemake(workdir, cores, env):
    """Run snakemake in ``workdir``; return wall and CPU seconds and job counts."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        str(cores),
    ]
    cpu0, t0 = _cpu_children(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - t0, _cpu_children() - cpu0
    if proc.returncode:
        sys.exit(f"snakemake failed in {workdir}:\n{proc.stderr[-4000:]}")
    return {"wall_s": wall, "cpu_s": cpu, "jobs": job_counts(proc.stderr)}


def job_counts(log):
    """Jobs per rule from Snakemake's 'Job stats' table."""
    counts = {}
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", log, re.S)
    for line in match.group(1).splitlines() if match else []:
        rule, n = line.split()
        counts[rule] = int(n)
    return counts


CHUNK = re.compile(r"_[0-9]+$")
IN_PROCESS_CPU = re.compile(r"job done in [0-9.]+ s wall, ([0-9.]+) s CPU")
OWN_PROCESS_PEAK = re.compile(r"job done in .*, peak memory ([0-9.]+) MiB")


def per_rule(workdir):
    """Jobs, wall and CPU seconds and the largest ``max_rss`` (MB) per rule,
    from ``benchmarks/`` (a chunk job's file, ``embed_transform_3``, counts
    for its rule).

    A job run inside the Snakemake process (``run:``, :mod:`emgmm.pipeline.jobs`) has
    its wall time in Snakemake's benchmark file but the whole process's CPU
    time and memory there; its own CPU time is the last line of its log,
    and where it ran in a process of its own (large inputs), its peak memory
    too, which is then the figure taken (``own_process``).
    """
    rules = {}
    benchmarks = Path(workdir, "benchmarks")
    for path in sorted(benchmarks.rglob("*.tsv")):
        lines = path.read_text().splitlines()
        row = dict(zip(lines[0].split("\t"), lines[-1].split("\t"), strict=True))
        log = Path(workdir, "logs", path.relative_to(benchmarks)).with_suffix(".log")
        text = log.read_text() if log.exists() else ""
        cpu, peak = IN_PROCESS_CPU.findall(text), OWN_PROCESS_PEAK.findall(text)
        rule = CHUNK.sub("", path.stem)
        r = rules.setdefault(
            rule, {"jobs": 0, "wall_s": 0.0, "cpu_s": 0.0, "max_rss_mb": 0.0}
        )
        r["jobs"] += 1
        r["wall_s"] += float(row["s"])
        r["cpu_s"] += float(cpu[-1]) if cpu else float(row["cpu_time"])
        if peak:
            r["max_rss_mb"] = max(r["max_rss_mb"], float(peak[-1]) * 2**20 / 1e6)
        elif row.get("max_rss", "-") not in ("-", "", "NA"):
            r["max_rss_mb"] = max(r["max_rss_mb"], float(row["max_rss"]))
        r["in_process"] = bool(cpu) and not peak
        r["own_process"] = bool(peak)
    return rules


ONE_PROCESS = """
import json, os, resource, sys, time
t0 = time.perf_counter()
from emgmm.runtime import configure_threads
configure_threads(1)
from bench.workflow import one_process
config = json.loads(sys.argv[1])
timings = one_process.run(config, sys.argv[2])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": time.perf_counter() - t0,
                  "cpu_s": usage.ru_utime + usage.ru_stime, "timings": timings}))
"""


def run_one_process(config, workdir, env):
    """The same work in one fresh Python process (start-up and imports included)."""
    cmd = [sys.executable, "-c", ONE_PROCESS, json.dumps(config), str(workdir)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"one-process run failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    rules = {}
    for rule, seconds in out["timings"]:
        r = rules.setdefault(rule, {"jobs": 0, "wall_s": 0.0})
        r["jobs"] += 1
        r["wall_s"] += seconds
    return {"wall_s": wall, "cpu_s": out["cpu_s"], "rules": rules}


def _write_config(workdir, config):
    workdir.mkdir(parents=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    for spec in config["datasets"].values():  # file datasets: copy the table
        if spec["source"] == "file" and not Path(spec["path"]).is_absolute():
            dst = workdir / spec["path"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(spec["path"], dst)


def measure(config, cores, scratch, cache_dir, add_k):
    """One repeat: pipeline, one process, and (optionally) adding one K."""
    env = _env(cache_dir)
    state, before = numba_cache_state(cache_dir), compiled_kernels(cache_dir)
    result = {"load_before": os.getloadavg()}
    pipe = scratch / "pipeline"
    _write_config(pipe, config)
    result["pipeline"] = run_snakemake(pipe, cores, env)
    result["pipeline"]["rules"] = per_rule(pipe)
    result["cache"] = cache_label(state, len(compiled_kernels(cache_dir) - before))
    summary = (pipe / "results/summary.tsv").read_bytes()
    if add_k:
        more = copy.deepcopy(config)
        more["K"] = [*config["K"], max(config["K"]) + 1]
        (pipe / "config.yaml").write_text(yaml.safe_dump(more, sort_keys=False))
        result["add_k"] = run_snakemake(pipe, cores, env)
        result["add_k"]["k"] = more["K"][-1]
    one = scratch / "one_process"
    _write_config(one, config)
    result["one_process"] = run_one_process(config, one, env)
    result["load_after"] = os.getloadavg()
    # The same work: both wrote the same summary table, to the byte.
    result["same_summary"] = summary == (one / "results/summary.tsv").read_bytes()
    return result


def report(config_path, cores, results):
    """The measurements as Markdown tables."""
    lines = []
    first = results[0]
    n_fits = first["pipeline"]["rules"].get("fit_em", {}).get("jobs", 0)
    lines.append(
        f"config {config_path}: {n_fits} fit pairs, --cores {cores}, "
        f"{platform.node()} ({os.cpu_count()} CPUs), {len(results)} run(s)"
    )
    lines.append("")
    lines.append(
        "| run | numba cache | load before | snakemake jobs | snakemake wall s "
        "| one process wall s | ratio | snakemake CPU s | one process CPU s "
        "| add one K: jobs, wall s | same summary |"
    )
    lines.append("|" + " --- |" * 11)
    for i, r in enumerate(results, 1):
        p, o = r["pipeline"], r["one_process"]
        add = r.get("add_k")
        add_s = f"{sum(add['jobs'].values())}, {add['wall_s']:.1f}" if add else "-"
        lines.append(
            f"| {i} | {r['cache']} | {r['load_before'][0]:.1f} "
            f"| {sum(p['jobs'].values())} | {p['wall_s']:.1f} | {o['wall_s']:.1f} "
            f"| {p['wall_s'] / o['wall_s']:.2f} | {p['cpu_s']:.1f} | {o['cpu_s']:.1f} "
            f"| {add_s} | {r['same_summary']} |"
        )
    lines.append("")
    lines.append(
        "| rule | jobs | snakemake wall s (sum of jobs) | snakemake CPU s "
        "| one process wall s |"
    )
    lines.append("|" + " --- |" * 5)
    last = results[-1]
    rules = last["pipeline"]["rules"]
    for rule in [*rules, *(r for r in last["one_process"]["rules"] if r not in rules)]:
        nan = float("nan")
        p = rules.get(rule, {})
        o = last["one_process"]["rules"].get(rule, {})
        jobs = p.get("jobs", o.get("jobs", 0))
        lines.append(
            f"| {rule} | {jobs} | {p.get('wall_s', nan):.1f} "
            f"| {p.get('cpu_s', nan):.1f} | {o.get('wall_s', nan):.2f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.workflow", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--config", default="config.yaml", help="workflow config")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each")
    parser.add_argument(
        "--cold", action="store_true", help="a fresh, empty NUMBA_CACHE_DIR per run"
    )
    parser.add_argument(
        "--no-add-k", dest="add_k", action="store_false", help="skip adding one K"
    )
    parser.add_argument("--keep", type=Path, help="keep the scratch runs here")
    parser.add_argument("--json", type=Path, help="write all measurements here")
    args = parser.parse_args(argv)

    from emgmm.runtime import default_numba_cache_dir

    config = load_config(args.config)
    results = []
    root = Path(args.keep or tempfile.mkdtemp(prefix="emgmm-bench-workflow-"))
    try:
        for i in range(args.repeat):
            scratch = root / f"run{i + 1}"
            if args.cold:
                cache_dir = scratch / "numba-cache"
            else:
                cache_dir = Path(
                    os.environ.get("NUMBA_CACHE_DIR") or default_numba_cache_dir()
                )
            results.append(measure(config, args.cores, scratch, cache_dir, args.add_k))
            print(report(args.config, args.cores, results[-1:]), file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    text = report(args.config, args.cores, results)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
