"""emgmm: our EM against scikit-learn's GaussianMixture on UMAP embeddings.

load -> embed -> fit_em / fit_sklearn -> compare (match, score, figures) -> summary
"""


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/aggregate.smk"


rule all:
    input:
        "results/summary.tsv",
        "results/manifest.json",
        all_fit_figures(),
        dataset_outputs(),
