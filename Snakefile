"""emgmm: our EM against scikit-learn's GaussianMixture on UMAP embeddings.

load -> preprocess -> embed -> fit_em / fit_sklearn -> compare (match, score,
figures) -> model_selection, summary -> overview (the report's first page)
"""


# The settings are config.yaml's; config files on the command line change
# some and may name other datasets, which are then the only ones run:
#   snakemake --cores 4 --configfile config.yaml mine.yaml
# (workflow/rules/common.smk reads and checks them).
include: "workflow/rules/common.smk"


report: "workflow/report/workflow.rst"


include: "workflow/rules/resources.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/mclust.smk"


onsuccess:
    finish_run()


onerror:
    finish_run(failed=True, since=RUN_STARTED)


rule all:
    input:
        "results/summary.tsv",
        "results/overview.html",
        "results/manifest.json",
        all_fit_figures(),
        dataset_outputs(),
        MCLUST_OUTPUTS,
