"""The run's answers on one page: the chosen models, the verdicts, the figures.

:func:`overview_html` writes a self-contained HTML fragment (figures inlined
as data URIs) from ``results/chosen.tsv``, ``results/summary.tsv`` and each
dataset's model-selection figure. The workflow's report shows it on its
first page and as the first entry of its " Summary" category.
"""

import base64
import html
from pathlib import Path

__all__ = ["overview_html"]

# Most verdict rows listed per dataset; beyond them the counts say the rest.
MAX_ROWS = 40

_STYLE = (
    "<style>.emgmm-overview table{border-collapse:collapse;font-size:0.85em;"
    "margin:0.4em 0 1em}.emgmm-overview th,.emgmm-overview td{border:1px solid "
    "#ccc;padding:2px 6px;text-align:left}.emgmm-overview img{max-width:100%}"
    "</style>"
)


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _number(value, digits=6):
    return "" if value != value else f"{value:.{digits}g}"  # NaN: empty


def _chosen_rows(chosen):
    for row in chosen.itertuples():
        lead = getattr(row, "lead", float("nan"))
        runner = getattr(row, "runner_up", "")
        ahead = f"{runner} by {_number(lead, 4)}" if runner == runner and runner else ""
        pca = "" if row.pca != row.pca else f", {int(row.pca)} PCs"
        yield (
            row.dataset,
            row.model,
            f"{row.criterion.upper()} {_number(row.value)}",
            ahead,
            f"{row.fit_space} ({row.scale} scaling{pca})",
        )


def _verdict_rows(rows):
    has_truth = rows["ari_emgmm_truth"].notna().any()
    for row in rows.head(MAX_ROWS).itertuples():
        out = [
            row.n_components,
            row.covariance_type,
            row.random_state,
            ("chosen: " if row.chosen else "") + row.agreement,
            row.verdict,
        ]
        if has_truth:
            out.append(_number(row.ari_emgmm_truth, 3))
        yield out


def overview_html(chosen, summary, figures):
    """The overview page as an HTML fragment.

    Parameters
    ----------
    chosen : pandas.DataFrame
        :func:`emgmm.pipeline.summarize.chosen_models`.
    summary : pandas.DataFrame
        :func:`emgmm.pipeline.summarize.summary_table`.
    figures : dict of str to path-like
        Each dataset's model-selection figure (PNG).

    Returns
    -------
    str
        The same bytes for the same inputs.
    """
    parts = [_STYLE, '<div class="emgmm-overview">']
    parts.append("<h3>Which model the data choose</h3>")
    parts.append(
        _table(
            [
                "dataset",
                "chosen",
                "criterion (lower is better)",
                "ahead of",
                "fitted on",
            ],
            _chosen_rows(chosen),
        )
    )
    parts.append("<h3>Do emgmm and scikit-learn agree?</h3>")
    for dataset, rows in summary.groupby("dataset", sort=False):
        counts = rows["agreement"].value_counts()
        said = ", ".join(f"{n} {word}" for word, n in counts.items())
        parts.append(f"<p><b>{html.escape(dataset)}</b>: {html.escape(said)}.</p>")
        header = ["K", "covariance", "seed", "agreement", "why"]
        if rows["ari_emgmm_truth"].notna().any():
            header.append("ARI vs truth")
        parts.append(_table(header, _verdict_rows(rows)))
        if len(rows) > MAX_ROWS:
            parts.append(
                f"<p>First {MAX_ROWS} of {len(rows)} fits; all are in summary.tsv.</p>"
            )
    parts.append("<h3>Model selection</h3>")
    for dataset, path in figures.items():
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        parts.append(
            f"<p><b>{html.escape(dataset)}</b></p>"
            f'<img alt="model selection, {html.escape(dataset)}" '
            f'src="data:image/png;base64,{data}"/>'
        )
    parts.append("</div>")
    return "\n".join(parts) + "\n"
