"""A user's own table, as the README tells a new user to run it.

The README's own-data overlay, changed only in ``path`` and ``label_column``
(plus ``on_invalid: drop``), on the Palmer penguins table (``palmerpenguins``
on PyPI: measurements in mm and g, text columns, a year, empty cells),
with the repository's own config.yaml: ``snakemake --configfile config.yaml
mine.yaml``.
"""

import os
import re
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import REPO, copy_run, job_counts, snakemake

from emgmm.pipeline import io

pytestmark = pytest.mark.slow

PENGUINS = Path(str(resources.files("palmerpenguins") / "data" / "penguins.csv"))


def readme_overlay():
    """The YAML block after ``<!-- own-data-overlay -->`` in README.md."""
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- own-data-overlay -->\n```yaml\n(.*?)```", text, re.S)
    assert block, "README.md has no own-data overlay"
    return yaml.safe_load(block.group(1))


def penguins_overlay(label="species", **changes):
    overlay = readme_overlay()
    (name,) = overlay["datasets"]
    spec = overlay["datasets"].pop(name)
    spec.update(path="data/penguins.csv", label_column=label, on_invalid="drop")
    overlay["datasets"]["penguins"] = spec
    overlay.update(changes)
    return overlay


def run_with(workdir, overlay, *args, check=True):
    Path(workdir, "mine.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
    files = [str(Path(workdir, name)) for name in ("config.yaml", "mine.yaml")]
    return snakemake(workdir, "--configfile", *files, *args, check=check)


@pytest.fixture(scope="module")
def penguins_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("own")
    shutil.copy(REPO / "config.yaml", workdir / "config.yaml")
    (workdir / "data").mkdir()
    shutil.copy(PENGUINS, workdir / "data" / "penguins.csv")
    return workdir, run_with(workdir, penguins_overlay())


def results_mtimes(workdir):
    return {
        p: p.stat().st_mtime_ns for p in (workdir / "results").rglob("*") if p.is_file()
    }


def test_only_my_data_runs(penguins_run):
    """Before: `--configfile config.yaml mine.yaml` ran digits too."""
    workdir, proc = penguins_run
    assert sorted(p.name for p in (workdir / "results").iterdir() if p.is_dir()) == [
        "penguins"
    ]
    counts = job_counts(proc.stderr)
    assert counts["load"] == counts["embed"] == 1
    # config.yaml's settings for what mine.yaml does not set
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    record = io.load_json(workdir / "results/penguins/k3/full/seed42/emgmm.json")
    assert record["max_iter"] == config["emgmm"]["max_iter"]
    assert record["tol"] == config["emgmm"]["tol"]
    # one seed: no agreement across seeds to draw (it was an empty figure)
    assert not list((workdir / "results/penguins").glob("stability.*"))


def test_text_columns_and_codes_are_skipped_and_named(penguins_run):
    workdir, _ = penguins_run
    info = io.load_json(workdir / "results/penguins/data.json")
    assert info["skipped_columns"] == {
        "island": "text",
        "sex": "text",
        "year": "code (3 levels)",
    }
    assert info["features"] == [
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
    ]
    assert info["n_samples"] == 342 and info["n_dropped_invalid"] == 2
    assert info["label_names"] == ["Adelie", "Chinstrap", "Gentoo"]
    log = (workdir / "logs/penguins/load.log").read_text()
    assert "island (text), sex (text), year (code (3 levels))" in log
    scaling = io.load_json(workdir / "results/penguins/features.json")
    assert scaling["scale"] == "standard"
    assert scaling["scale_chosen_by"] == "auto (source file)"
    assert io.load_json(workdir / "results/penguins/embedding.json")[
        "preprocessing"
    ] == (scaling)


def test_three_components_find_the_species(penguins_run):
    """Before: ARI 0.157 (columns unscaled, year a feature)."""
    workdir, _ = penguins_run
    summary = io.load_table(workdir / "results/summary.tsv")
    row = summary[summary["n_components"] == 3].iloc[0]
    assert row["ari_emgmm_truth"] >= 0.85, row["ari_emgmm_truth"]
    assert row["agreement"] in {"identical", "same optimum"}
    assert row["fit_space"] == "embedding"


def test_the_answers_come_first(penguins_run):
    workdir, _ = penguins_run
    summary = io.load_table(workdir / "results/summary.tsv")
    assert list(summary.columns[4:7]) == ["agreement", "verdict", "chosen"]
    assert summary["chosen"].sum() == 1
    chosen = io.load_table(workdir / "results/chosen.tsv")
    assert len(chosen) == 1 and chosen.loc[0, "dataset"] == "penguins"
    row = summary[summary["chosen"]].iloc[0]
    assert chosen.loc[0, "n_components"] == row["n_components"]
    # tol=0 is reported as what it is, not as "not converged"
    assert set(summary["emgmm_stopping"]) == {
        "ran all 50 iterations (tol=0: no stopping rule)"
    }
    page = (workdir / "results/overview.html").read_text()
    assert "Which model the data choose" in page and chosen.loc[0, "model"] in page
    assert page.count("data:image/png;base64,") == 1


def test_the_confusion_figure_names_the_species(penguins_run, monkeypatch, tmp_path):
    """Before: 'true class 0/1/2'. Runs the model_selection job's main again
    on the run's files and reads what it draws."""
    from types import SimpleNamespace

    from emgmm.pipeline import plots
    from emgmm.pipeline.jobs import script_main

    workdir, _ = penguins_run
    drawn = {}
    original = plots.plot_confusion

    def capture(matrices):
        drawn.update(matrices)
        return original(matrices)

    monkeypatch.setattr(plots, "plot_confusion", capture)
    res = workdir / "results/penguins"
    fits = sorted(res.glob("k*/full/seed42"), key=lambda d: int(d.parts[-3][1:]))
    smk = SimpleNamespace(
        input=SimpleNamespace(
            embedding=res / "embedding.npz",
            data=res / "data.npz",
            info=res / "data.json",
            records=[d / "emgmm.json" for d in fits],
            fits=[d / "emgmm.npz" for d in fits],
            sklearn=[d / "sklearn.npz" for d in fits],
            mclust_table=[],
            mclust_fit=[],
        ),
        output=SimpleNamespace(
            table=tmp_path / "model_selection.tsv",
            **{
                n: tmp_path / f"{n}.png" for n in ("figure", "uncertainty", "confusion")
            },
        ),
        params=SimpleNamespace(criterion="bic"),
    )
    script_main(REPO / "workflow/scripts/model_selection.py")(smk)
    (truth,) = [m for name, m in drawn.items() if name.endswith("vs truth")]
    table, _, columns = truth
    assert list(table.columns) == ["Adelie", "Chinstrap", "Gentoo"]
    assert columns == "true class"


def test_a_misspelt_label_stops_before_any_job_and_keeps_the_results(
    penguins_run, tmp_path
):
    """Before: the failed load deleted data.npz; the fix reran 68 jobs."""
    workdir = copy_run(penguins_run[0], tmp_path / "run")
    before = results_mtimes(workdir)
    logs = sorted((workdir / "logs").rglob("*"))
    proc = run_with(workdir, penguins_overlay(label="Species"), check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith(
        "emgmm: data error: dataset 'penguins': data file data/penguins.csv: "
        "label_column 'Species' is not a column; columns are species, island"
    )
    assert "Traceback" not in proc.stderr and "Building DAG" not in proc.stderr
    assert results_mtimes(workdir) == before
    assert sorted((workdir / "logs").rglob("*")) == logs
    # fixed: nothing to redo
    proc = run_with(workdir, penguins_overlay(), "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_a_missing_file_stops_the_dry_run(penguins_run, tmp_path):
    """Before: the path passed the config check and the dry run."""
    workdir = copy_run(penguins_run[0], tmp_path / "run")
    overlay = penguins_overlay()
    overlay["datasets"]["penguins"]["path"] = "data/pengiuns.csv"
    proc = run_with(workdir, overlay, "--dry-run", check=False)
    assert proc.returncode != 0
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "emgmm: data error: dataset 'penguins': data file data/pengiuns.csv does "
            "not exist"
        )
    )


def test_fitting_the_features_reruns_only_the_fits(penguins_run, tmp_path):
    workdir = copy_run(penguins_run[0], tmp_path / "run")
    proc = run_with(workdir, penguins_overlay(fit_space="features"))
    counts = job_counts(proc.stderr)
    assert not {"load", "preprocess", "embed"} & set(counts), counts
    summary = io.load_table(workdir / "results/summary.tsv")
    assert set(summary["fit_space"]) == {"features"}
    row = summary[summary["n_components"] == 3].iloc[0]
    assert row["ari_emgmm_truth"] >= 0.9
    record = io.load_json(workdir / "results/penguins/k3/full/seed42/emgmm.json")
    assert record["n_features"] == 4  # the four standardised measurements
    chosen = io.load_table(workdir / "results/chosen.tsv")
    assert chosen.loc[0, "fit_space"] == "features"


def test_the_report_opens_on_the_answers(penguins_run, tmp_path):
    """Before: `snakemake --report` needed pygments, which the pipeline's
    install did not bring; K sorted as text (16, 2, 32, 4, 64, 8)."""
    from importlib.metadata import requires

    assert any(r.startswith("snakemake[reports]") for r in requires("emgmm"))
    workdir = copy_run(penguins_run[0], tmp_path / "run")
    run_with(workdir, penguins_overlay(K=[2, 3, 10]))  # fits K = 10 only
    run_with(workdir, penguins_overlay(K=[2, 3, 10]), "--report", "report.html")
    html = (workdir / "report.html").read_text()
    landing = html[: html.index("Which model the data choose") + 2000]
    assert "Do emgmm and scikit-learn agree?" in html
    assert "<table>" in landing
    headings = re.findall(r"K=(\d+) full seed 42", html)
    assert set(headings) == {"02", "03", "10"}  # zero-padded: numeric order
    assert os.path.getsize(workdir / "report.html") > 100_000
    summary = pd.read_csv(workdir / "results/summary.tsv", sep="\t")
    assert sorted(summary["n_components"]) == [2, 3, 10]


def test_principal_components_as_the_fit_space(penguins_run, tmp_path):
    workdir = copy_run(penguins_run[0], tmp_path / "run")
    overlay = penguins_overlay(fit_space="features", preprocess={"pca": 2}, K=[3])
    proc = run_with(workdir, overlay)
    counts = job_counts(proc.stderr)
    assert "load" not in counts and counts["preprocess"] == counts["embed"] == 1
    info = io.load_json(workdir / "results/penguins/features.json")
    assert info["names"] == ["PC1", "PC2"] and info["scale"] == "standard"
    assert 0.8 < info["explained_variance_total"] <= 1.0
    record = io.load_json(workdir / "results/penguins/k3/full/seed42/emgmm.json")
    assert record["n_features"] == 2 and record["fit_space"] == "features"
    summary = io.load_table(workdir / "results/summary.tsv")
    assert summary.loc[0, "ari_emgmm_truth"] > 0.5
