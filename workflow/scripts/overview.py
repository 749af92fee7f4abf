"""Write results/overview.html: the chosen models, the verdicts and the
model-selection figures on one page (the report's first page)."""

from emgmm.pipeline import io
from emgmm.pipeline.overview import overview_html


def main(smk):
    figures = dict(zip(smk.params.datasets, smk.input.figures, strict=True))
    page = overview_html(
        io.load_table(smk.input.chosen), io.load_table(smk.input.summary), figures
    )
    with io.atomic_path(smk.output.page) as tmp:
        tmp.write_text(page)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
