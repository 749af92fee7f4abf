"""The workflow end to end, in a temporary directory (snakemake subprocess)."""

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import (
    REPO,
    SWEEP_CONFIG,
    copy_run,
    env,
    job_counts,
    snakemake,
    write_config,
    write_table,
)

from emgmm.pipeline import io
from emgmm.pipeline.compare import adjusted_rand

pytestmark = pytest.mark.slow

FIGURES = ["convergence", "log_likelihood", "labels", "ellipses"]
UPSTREAM = {"load", "embed"}


def fit_dirs(workdir, config=SWEEP_CONFIG):
    for dataset in config["datasets"]:
        for k in config["K"]:
            for cov in config["covariance_types"]:
                for seed in config["seeds"]:
                    yield (
                        dataset,
                        k,
                        cov,
                        seed,
                        (workdir / "results" / dataset / f"k{k}" / cov / f"seed{seed}"),
                    )


def test_sweep_runs_every_job(sweep_run):
    _, proc = sweep_run
    counts = job_counts(proc.stderr)
    n_fits = 2 * 3 * 2 * 2
    for rule in ("fit_em", "fit_sklearn", "compare"):
        assert counts[rule] == n_fits, counts
    assert counts["load"] == counts["embed"] == 2
    assert counts["model_selection"] == counts["stability"] == 2


def test_fit_outputs_are_consistent(sweep_run):
    workdir, _ = sweep_run
    for dataset, k, cov, seed, d in fit_dirs(workdir):
        ours, theirs = io.load_npz(d / "emgmm.npz"), io.load_npz(d / "sklearn.npz")
        rec = io.load_json(d / "emgmm.json")
        n = io.load_json(workdir / "results" / dataset / "data.json")["n_samples"]
        assert ours["means"].shape == theirs["means"].shape == (k, 2)
        assert ours["labels"].shape == (n,)
        np.testing.assert_allclose(ours["weights"].sum(), 1.0)
        assert (rec["n_components"], rec["covariance_type"], rec["random_state"]) == (
            k,
            cov,
            seed,
        )
        assert ours["history_weights"].shape == (rec["n_iter"] + 1, k)
        assert len(ours["lower_bounds"]) == rec["n_iter"]
        # The recorded ARI is the ARI of the stored labelings.
        scores = io.load_json(d / "scores.json")
        assert scores["ari_emgmm_sklearn"] == pytest.approx(
            adjusted_rand(ours["labels"], theirs["labels"])
        )
        y = io.load_npz(workdir / "results" / dataset / "data.npz")["y"]
        assert scores["ari_emgmm_truth"] == pytest.approx(
            adjusted_rand(ours["labels"], y)
        )
        # The one-to-one matching is a permutation and its distances are right.
        table = io.load_table(d / "matching.tsv")
        assert sorted(table["sklearn_component"]) == list(range(k))
        for row in table.itertuples():
            dist = np.linalg.norm(
                ours["means"][row.component] - theirs["means"][row.sklearn_component]
            )
            assert row.mean_distance == pytest.approx(dist)
        for fig in FIGURES:
            assert (d / "figures" / f"{fig}.png").read_bytes()[:4] == b"\x89PNG"


def test_same_settings_give_the_same_fit(sweep_run):
    """Both implementations get identical settings here, so they must agree."""
    workdir, _ = sweep_run
    summary = pd.read_csv(workdir / "results" / "summary.tsv", sep="\t")
    assert summary["max_mean_distance"].max() < 1e-6
    assert (summary["ari_emgmm_sklearn"] == 1.0).all()
    assert summary["explanation"].str.startswith("identical").all()


def test_summary_has_a_row_per_pair(sweep_run):
    workdir, _ = sweep_run
    summary = pd.read_csv(workdir / "results" / "summary.tsv", sep="\t")
    assert len(summary) == 2 * 3 * 2 * 2
    for name in ("emgmm", "sklearn"):
        for column in ("n_iter", "converged", "log_likelihood", "bic", "aic", "icl"):
            assert summary[f"{name}_{column}"].notna().all(), (name, column)
        # BIC in the table is -2 log L + p log n of the stored numbers.
        n = summary["n_samples"]
        log_l = summary[f"{name}_log_likelihood"]
        bic = -2 * log_l + summary["n_parameters"] * np.log(n)
        np.testing.assert_allclose(summary[f"{name}_bic"], bic)
        assert (summary[f"{name}_icl"] >= summary[f"{name}_bic"] - 1e-9).all()
    # one chosen model per dataset, the one model_selection.tsv chose
    assert summary.groupby("dataset")["chosen"].sum().tolist() == [1, 1]
    for dataset, rows in summary.groupby("dataset"):
        table = pd.read_csv(
            workdir / f"results/{dataset}/model_selection.tsv", sep="\t"
        )
        want = table[table["chosen"]].iloc[0]
        got = rows[rows["chosen"]].iloc[0]
        for key in ("n_components", "covariance_type", "random_state"):
            assert got[key] == want[key], key


def test_bic_selects_four_blobs(sweep_run):
    workdir, _ = sweep_run
    table = pd.read_csv(workdir / "results/blobs/model_selection.tsv", sep="\t")
    chosen = table[table["chosen"]]
    assert len(chosen) == 1
    assert chosen["n_components"].item() == 4
    best = table[table["best_seed"]]
    assert chosen["bic"].item() == best["bic"].min()


def test_stability_table(sweep_run):
    workdir, _ = sweep_run
    table = pd.read_csv(workdir / "results/table/stability.tsv", sep="\t")
    assert len(table) == 3 * 2
    assert (table["n_seeds"] == 2).all()
    assert table["mean_pairwise_ari"].between(-1, 1).all()


def test_manifest_records_versions_config_and_hashes(sweep_run):
    workdir, _ = sweep_run
    manifest = json.loads((workdir / "results/manifest.json").read_text())
    assert manifest["config"]["K"] == SWEEP_CONFIG["K"]
    assert manifest["versions"]["scikit-learn"]
    assert "results/blobs/data.npz" in manifest["inputs_sha256"]
    assert manifest["wall_time_per_rule"]["fit_em"]["jobs"] == 24
    data_info = io.load_json(workdir / "results/table/data.json")
    assert data_info["input_sha256"] == io.file_sha256(workdir / "data/table.csv")


def test_second_run_does_nothing(sweep_run):
    workdir, _ = sweep_run
    proc = snakemake(workdir, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def changed_run(sweep_run, tmp_path, **changes):
    workdir = copy_run(sweep_run[0], tmp_path / "run")
    config = copy.deepcopy(SWEEP_CONFIG)
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if sub:
            config[section][sub] = value
        else:
            config[section] = value
    write_config(workdir, config)
    return workdir, config


def test_changing_k_reruns_fits_not_load_or_embed(sweep_run, tmp_path):
    workdir, _ = changed_run(sweep_run, tmp_path, K=[3, 4, 5, 6])
    counts = job_counts(snakemake(workdir, "--dry-run").stdout)
    assert not UPSTREAM & set(counts), counts
    assert counts["fit_em"] == counts["fit_sklearn"] == 2 * 2 * 2  # only K=6
    assert counts["model_selection"] == 2 and counts["summary"] == 1


def test_changing_em_iterations_reruns_only_our_fits(sweep_run, tmp_path):
    workdir, _ = changed_run(sweep_run, tmp_path, emgmm__max_iter=7)
    counts = job_counts(snakemake(workdir, "--dry-run").stdout)
    assert not UPSTREAM & set(counts), counts
    assert "fit_sklearn" not in counts
    assert counts["fit_em"] == counts["compare"] == 24


def test_adding_a_seed_runs_only_new_fits(sweep_run, tmp_path):
    workdir, config = changed_run(sweep_run, tmp_path, seeds=[0, 1, 2])
    # Every file of an old fit (results/<dataset>/k<K>/<cov>/seed<s>/...).
    before = {
        p: p.stat().st_mtime_ns
        for p in (workdir / "results").rglob("*")
        if p.is_file()
        and any(part.startswith("seed") for part in p.relative_to(workdir).parts)
    }
    assert before
    proc = snakemake(workdir)
    counts = job_counts(proc.stderr)
    new = 2 * 3 * 2
    assert counts["fit_em"] == counts["fit_sklearn"] == counts["compare"] == new
    assert not UPSTREAM & set(counts), counts
    assert counts["model_selection"] == counts["stability"] == 2
    assert counts["summary"] == counts["manifest"] == 1
    # Fits of the old seeds were not rewritten.
    for p, mtime in before.items():
        assert p.stat().st_mtime_ns == mtime, p
    summary = pd.read_csv(workdir / "results/summary.tsv", sep="\t")
    assert len(summary) == 2 * 3 * 2 * 3


def test_report_has_every_figure_with_its_caption(sweep_run, tmp_path):
    workdir = copy_run(sweep_run[0], tmp_path / "run")
    snakemake(workdir, "--report", "report.html")
    html = (workdir / "report.html").read_text()
    expected = [
        f"results/{dataset}/k{k}/{cov}/seed{seed}/figures/{figure}.png"
        for dataset, k, cov, seed, _ in fit_dirs(workdir)
        for figure in FIGURES
    ]
    expected += [
        f"results/{dataset}/{name}.png"
        for dataset in SWEEP_CONFIG["datasets"]
        for name in ("model_selection", "uncertainty", "confusion", "stability")
    ]
    for path in expected:
        # Each result is embedded with its data and a caption rendered from
        # workflow/report/*.rst with the wildcards filled in.
        entry = re.search(re.escape(f'"{path}": {{') + r'(.*?)"caption": "(.*?)"', html)
        assert entry, path
        caption = entry.group(2)
        assert path.split("/")[1] in caption, (path, caption[:200])
        assert len(caption) > 100, (path, caption)
    assert html.count('"data_uri": "data:image/png;') >= len(expected)
    assert '"results/summary.tsv": {' in html
    assert "Mixing proportions of our EM fit (blobs, K=4, full covariances" in html


def test_summary_does_not_wait_for_files_it_does_not_read(sweep_run, tmp_path):
    """A newer matching.tsv (read by nobody downstream) reruns nothing."""
    workdir = copy_run(sweep_run[0], tmp_path / "run")
    tables = list((workdir / "results").rglob("matching.tsv"))
    assert len(tables) == 2 * 3 * 2 * 2
    for path in tables:
        os.utime(path)  # now: newer than every output that could depend on it
    proc = snakemake(workdir, "--dry-run")
    assert job_counts(proc.stdout) == {}, proc.stdout[-3000:]


def test_tables_round_trip_through_io(tmp_path):
    """What io.save_table writes, io.load_table reads back unchanged."""
    table = pd.DataFrame(
        {
            "dataset": ["NA", "None", "digits"],  # names pandas would read as NaN
            "n_components": [2, 3, 4],
            "bic": [1.0 / 3.0, np.nan, -2.5e-17],
            "greedy_one_to_one": [True, False, True],
            "explanation": ["identical", "", "n/a"],
        }
    )
    path = tmp_path / "t.tsv"
    io.save_table(path, table)
    back = io.load_table(path)
    expected = table.assign(explanation=["identical", np.nan, "n/a"])
    pd.testing.assert_frame_equal(back, expected, check_exact=True)


def test_workflow_scripts_read_tables_only_through_io():
    """Every table a script reads goes through io.load_table, the writer's twin."""
    offenders = [
        path.name
        for path in (REPO / "workflow" / "scripts").glob("*.py")
        if re.search(r"\bread_(csv|table)\(", path.read_text())
    ]
    assert not offenders


def test_importing_emgmm_to_fit_loads_no_heavy_modules():
    """`import emgmm; from emgmm.pipeline.fitting import fit_mixture` stays light."""
    code = (
        "import sys, emgmm\n"
        "from emgmm.pipeline.fitting import fit_mixture\n"
        "heavy = ('pandas', 'pyarrow', 'scipy.stats', 'matplotlib', 'umap',"
        " 'sklearn', 'numba', 'narwhals', 'seaborn')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env()
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_one_process_benchmark_does_the_same_work(sweep_run, tmp_path):
    """bench.workflow's one-process run writes the pipeline's results."""
    sys.path.insert(0, str(REPO))
    from bench.workflow import one_process
    from bench.workflow.__main__ import load_config

    workdir = tmp_path / "one"
    write_table(workdir / "data" / "table.csv")
    write_config(workdir, SWEEP_CONFIG)
    config = load_config(workdir / "config.yaml")
    rules = {rule for rule, _ in one_process.run(config, workdir)}
    assert rules >= {"load", "embed", "fit_em", "fit_sklearn", "compare", "summary"}
    for name in ("summary.tsv", "blobs/model_selection.tsv", "table/stability.tsv"):
        ours = (workdir / "results" / name).read_bytes()
        assert ours == (sweep_run[0] / "results" / name).read_bytes(), name


FIT_SCRIPT_RUN = """
import sys
from types import SimpleNamespace as NS
import numpy as np
from emgmm.pipeline import io
from emgmm.pipeline.jobs import run_job


class Named(list):
    def __init__(self, **named):
        super().__init__(named.values())
        self.__dict__.update(named)


# 3,000 rows: above the size that stays on NumPy, so emgmm's kernels compile
X = np.random.default_rng(0).normal(size=(3000, 2))
io.save_npz("embedding.npz", embedding=X)
run_job(
    sys.argv[1],
    "fit_em",
    input=Named(points="embedding.npz"),
    output=Named(fit="emgmm.npz", record="emgmm.json"),
    params=NS(implementation="emgmm", settings={"max_iter": 5}, space="embedding"),
    wildcards=NS(dataset="d", k="3", covariance_type="full", seed="0"),
    threads=1,
    log=["fit_em.log"],
)
"""


def test_fit_jobs_cache_emgmm_kernels_where_umap_caches_its_own(tmp_path):
    """A fit job run in the Snakemake process (emgmm.pipeline.jobs, as the fit rules
    run) points numba at emgmm.pipeline.embed's cache dir before numba loads."""
    from emgmm.runtime import default_numba_cache_dir

    run_env = {**env(), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run_env.pop("NUMBA_CACHE_DIR", None)
    script = REPO / "workflow" / "scripts" / "fit.py"
    proc = subprocess.run(
        [sys.executable, "-c", FIT_SCRIPT_RUN, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=run_env,
    )
    assert proc.returncode == 0, proc.stderr
    code = "from emgmm.runtime import default_numba_cache_dir as d; print(d())"
    umap_dir = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=run_env
    ).stdout.strip()
    assert umap_dir == str(tmp_path / "cache" / "emgmm" / "numba")
    assert umap_dir != default_numba_cache_dir()  # the test's own, not the user's
    assert list(Path(umap_dir).rglob("_em_numba.*.nbi"))


def test_default_config_chooses_a_k_inside_its_range_on_digits():
    """config.yaml keeps the notebook's K = 4 and BIC turns inside its K range."""
    import yaml

    from emgmm.pipeline.config import validate_config
    from emgmm.pipeline.data import load_dataset
    from emgmm.pipeline.embed import umap_embed
    from emgmm.pipeline.fitting import fit_mixture
    from emgmm.pipeline.summarize import model_selection_table

    config = validate_config(
        yaml.safe_load((REPO / "config.yaml").read_text()),
        REPO / "workflow/schemas/config.schema.yaml",
    )
    assert 4 in config["K"]
    X, _, _ = load_dataset("digits", config["datasets"]["digits"])
    Y, _ = umap_embed(X, **config["umap"])
    records = [
        fit_mixture(
            Y,
            implementation="emgmm",
            n_components=k,
            covariance_type=cov,
            random_state=seed,
            **config["mixture"],
            **config["emgmm"],
        ).record
        for k in config["K"]
        for cov in config["covariance_types"]
        for seed in config["seeds"]
    ]
    criterion = config["model_selection"]["criterion"]
    table = model_selection_table(records, criterion)
    chosen = int(table.loc[table["chosen"], "n_components"].iloc[0])
    assert min(config["K"]) < chosen < max(config["K"]), table


def test_lint_and_format():
    cmds = [
        [*SNAKEMAKE_LINT],
        [sys.executable, "-m", "snakefmt", "--check", "."],
        [sys.executable, "-m", "ruff", "check", "."],
    ]
    for cmd in cmds:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env())
        assert proc.returncode == 0, f"{cmd}:\n{proc.stdout}\n{proc.stderr}"


SNAKEMAKE_LINT = [sys.executable, "-m", "snakemake", "--lint", "--cores", "1"]


def test_sharded_table_of_1e5_rows_the_same_at_any_cores(tmp_path):
    """The large-data path end to end at 1e5 rows: a folder of Parquet
    shards, UMAP fitted on a subsample and the other rows placed by 3 chunk
    jobs, scikit-learn fitted to a seeded sample (max_rows). The numeric
    outputs are the same bytes with 1 and 2 cores, and with the light jobs
    in Snakemake's process or each in its own (as above 256 MiB of input),
    the embedding is
    umap_embed's with the same chunks, and the summary says what
    scikit-learn was fitted to."""
    from emgmm.pipeline.embed import umap_embed

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6.0, size=(4, 4))
    group = rng.integers(0, 4, size=100_000)
    df = pd.DataFrame(
        centres[group] + rng.normal(size=(100_000, 4)), columns=list("abcd")
    )
    df["group"] = group
    config = {
        "datasets": {
            "sharded": {"source": "file", "path": "shards", "label_column": "group"}
        },
        "K": [4],
        "covariance_types": ["full"],
        "seeds": [0],
        # a subsample of >= 4096 rows: umap's neighbour search (below it,
        # transform calls a Python distance per pair: minutes here)
        "umap": {"n_neighbors": 15, "subsample": 5000, "transform_chunks": 3},
        "emgmm": {"max_iter": 100, "tol": 1.0e-3},
        "sklearn": {"max_iter": 100, "tol": 1.0e-3, "max_rows": 20_000},
    }
    numeric = ["data.npz", "features.npz", "embedding.npz", "embedding.json"]
    numeric += [f"k4/full/seed0/{f}" for f in ("emgmm.npz", "sklearn.npz")]
    runs = {}
    for cores in (1, 2):
        workdir = tmp_path / f"cores{cores}"
        (workdir / "shards").mkdir(parents=True)
        for i in range(4):
            part = df.iloc[i * 25_000 : (i + 1) * 25_000]
            part.to_parquet(workdir / "shards" / f"part-{i}.parquet", index=False)
        write_config(workdir, config)
        # one core: up to the fits (the numeric outputs), every light job in
        # a process of its own, as on large data; two: the whole run
        targets = [] if cores == 2 else [f"results/sharded/{f}" for f in numeric]
        own = {"EMGMM_OWN_PROCESS_FROM_MB": "0"} if cores == 1 else {}
        proc = snakemake(workdir, "--cores", str(cores), *targets, extra_env=own)
        counts = job_counts(proc.stdout + proc.stderr)
        assert counts.get("embed_transform") == 3, counts
        assert counts.get("embed_fit") == 1 and counts.get("embed") == 1, counts
        runs[cores] = workdir
    results = Path("results/sharded")
    for name in numeric:
        path = results / name
        assert (runs[1] / path).read_bytes() == (runs[2] / path).read_bytes(), name
    for cores, own in ((1, True), (2, False)):
        log = (runs[cores] / "logs/sharded/k4/full/seed0/fit_em.log").read_text()
        assert ("peak memory" in log) is own, log
    info = io.load_json(runs[1] / results / "embedding.json")
    assert info["transformed_rows"] == 95_000
    features = io.load_npz(runs[1] / results / "features.npz")["features"]
    expected, _ = umap_embed(features, **info["params"])
    embedding = io.load_npz(runs[1] / results / "embedding.npz")["embedding"]
    assert embedding.tobytes() == expected.tobytes()
    summary = pd.read_csv(runs[2] / "results/summary.tsv", sep="\t")
    (row,) = summary.to_dict("records")
    assert row["n_samples"] == 100_000
    assert row["emgmm_fit_rows"] == 100_000 and row["sklearn_fit_rows"] == 20_000
    assert row["sklearn_stopping"].endswith(
        "on a seeded sample of 20,000 of 100,000 rows"
    )
    assert row["ari_emgmm_truth"] > 0.9
