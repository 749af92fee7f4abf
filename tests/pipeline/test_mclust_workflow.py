"""mclust's models in the workflow: the BIC figure, and rule mclust_bic end to end."""

import copy
import re

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import TINY_CONFIG, job_counts, snakemake, write_config

from emgmm import InputError, mclust
from emgmm.pipeline import io, plots
from emgmm.pipeline.summarize import CRITERIA_SIGN, MCLUST_START


def test_mclust_bic_figure_has_a_line_per_model_and_circles_the_best():
    models = list(mclust.MODELS)[:14]
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        rng.normal(-1000, 50, (4, 14)),
        index=pd.Index([1, 2, 3, 4], name="G"),
        columns=models,
    )
    table.loc[4, "VVV"] = np.nan  # a failed fit: a gap, never the best
    table.loc[3, "EEV"] = -100.0  # the highest BIC (mclust's sign)
    fig = plots.plot_mclust_bic(table)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:14]] == models
    assert np.isnan(lines[models.index("VVV")].get_ydata()[3])
    best = lines[14]
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (3, -100.0)
    assert ax.get_legend().get_texts()[-1].get_text() == "best: EEV, G=3 (BIC -100)"
    assert "2 log L - p log n" in ax.get_ylabel()
    assert "higher is better" in ax.get_ylabel()
    with pytest.raises(ValueError, match="at least one finite BIC"):
        plots.plot_mclust_bic(table * np.nan)


@pytest.mark.slow
def test_workflow_fits_mclust_models_beside_the_sklearn_pairs(tmp_path):
    config = copy.deepcopy(TINY_CONFIG)
    config["covariance_types"] = ["full", "VVV", "EEI"]
    write_config(tmp_path, config)
    proc = snakemake(tmp_path)
    assert job_counts(proc.stderr)["mclust_bic"] == 1
    results = tmp_path / "results" / "tiny"

    table = pd.read_csv(results / "mclust_bic.tsv", sep="\t", index_col="G")
    assert list(table.index) == config["K"]
    assert list(table.columns) == ["VVV", "EEI"]
    # The values are emgmm.mclust.bic's on the embedding, NaN in the same
    # cells (a fit that failed) and nowhere else.
    X = io.load_npz(results / "embedding.npz")["embedding"]
    expected = mclust.bic(X, G=config["K"], models=["VVV", "EEI"])
    np.testing.assert_allclose(table.to_numpy(), expected.to_numpy(), rtol=1e-12)
    chosen = io.load_json(results / "mclust.json")
    assert chosen["failed_fits"] == int(table.isna().sum().sum())
    assert chosen["bic"] == table.max().max()
    assert table.loc[chosen["G"], chosen["model"]] == chosen["bic"]
    assert "higher is better" in chosen["convention"]
    labels = io.load_npz(results / "mclust.npz")["classification"]
    assert labels.shape == (len(X),) and labels.max() < chosen["G"]
    assert (results / "mclust_bic.png").stat().st_size > 10_000

    # The emgmm/sklearn pairs exist for the scikit-learn type only.
    for k in config["K"]:
        assert (results / f"k{k}" / "full" / "seed0" / "scores.json").exists()
        assert not (results / f"k{k}" / "VVV").exists()
        assert not (results / f"k{k}" / "EEI").exists()
    summary = pd.read_csv(tmp_path / "results" / "summary.tsv", sep="\t")
    assert set(summary["covariance_type"]) == {"full"}
    assert set(summary["criteria_sign"]) == {CRITERIA_SIGN}
    # One model selection over both families, in one sign (scikit-learn's):
    # before, mclust.json and model_selection.tsv each chose a model, in
    # opposite signs, with no sentence relating them.
    selection = pd.read_csv(results / "model_selection.tsv", sep="\t")
    assert set(selection["covariance_type"]) == {"full", "VVV", "EEI"}
    mine = selection[selection["fitted_by"] == MCLUST_START]
    for row in mine.itertuples():
        value = table.loc[row.n_components, row.covariance_type]
        if np.isnan(value):
            assert not row.best_seed  # a failed fit is no candidate
        else:
            assert row.bic == -value and row.mclust_bic == value
    assert selection["chosen"].sum() == 1
    chosen_row = selection[selection["chosen"]].iloc[0]
    candidates = selection[selection["best_seed"]]
    assert chosen_row["bic"] == candidates["bic"].min()
    if chosen_row["fitted_by"] == MCLUST_START:  # then it is mclust's own choice
        assert chosen_row["covariance_type"] == chosen["model"]
        assert chosen_row["n_components"] == chosen["G"]
    answer = pd.read_csv(tmp_path / "results" / "chosen.tsv", sep="\t")
    assert answer.loc[0, "covariance_type"] == chosen_row["covariance_type"]
    assert answer.loc[0, "value"] == chosen_row["bic"]

    # The figure is in the report, with its caption naming the sign.
    snakemake(tmp_path, "--report", "report.html")
    html = (tmp_path / "report.html").read_text()
    entry = re.search(r'"results/tiny/mclust_bic.png": \{(.*?)"caption": "(.*?)"', html)
    assert entry, "mclust_bic.png not in the report"
    assert "tiny" in entry.group(2) and "higher is better" in entry.group(2)


@pytest.mark.slow
def test_without_mclust_names_nothing_mclust_runs(tmp_path):
    write_config(tmp_path, TINY_CONFIG)
    proc = snakemake(tmp_path, "-n")
    counts = job_counts(proc.stdout + proc.stderr)
    assert counts["fit_em"] == 2
    assert "mclust_bic" not in counts


def test_too_many_rows_for_mclust_is_one_line_and_no_output(tmp_path):
    import importlib.util
    from types import SimpleNamespace

    from workflow_helpers import REPO

    spec = importlib.util.spec_from_file_location(
        "mclust_bic", REPO / "workflow/scripts/mclust_bic.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    embedding = tmp_path / "embedding.npz"
    io.save_npz(embedding, embedding=np.zeros((script.MAX_ROWS + 1, 2)))
    names = ["table", "figure", "chosen", "classification"]
    smk = SimpleNamespace(
        wildcards=SimpleNamespace(dataset="big"),
        input=SimpleNamespace(points=str(embedding)),
        output=SimpleNamespace(**{n: str(tmp_path / n) for n in names}),
        params=SimpleNamespace(G=[2], models=["VVV"], space="embedding"),
        threads=1,
    )
    with pytest.raises(InputError) as err:
        script.main(smk)
    line = str(err.value)
    assert line.startswith("dataset 'big': mclust models need at most")
    assert f"got {script.MAX_ROWS + 1}" in line and "\n" not in line
    assert not any((tmp_path / n).exists() for n in names)
