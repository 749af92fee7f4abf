"""emgmm: our EM against scikit-learn's GaussianMixture on UMAP embeddings.

load -> embed -> fit_em / fit_sklearn -> compare (match, score, figures) -> summary
"""

# config.yaml, unless config files are given on the command line: then those
# alone (Snakemake would merge their `datasets` into config.yaml's and run
# both). To change a few keys of config.yaml, name it first:
#   snakemake --configfile config.yaml my-changes.yaml
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/compare.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/mclust.smk"


onsuccess:
    finish_run()


onerror:
    finish_run()


rule all:
    input:
        "results/summary.tsv",
        "results/manifest.json",
        all_fit_figures(),
        dataset_outputs(),
        MCLUST_OUTPUTS,
