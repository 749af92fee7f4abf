# R mclust's covariance models (emgmm.mclust), fitted only by emgmm: the
# mclust names in config["covariance_types"] (covariance_types()[1]). One job
# per dataset: the BIC table over config["K"] and those models, and the
# chosen model's classification. Nothing here runs without mclust names.

MEM["mclust_bic"] = (300, 3.0, 0)
RUNTIME["mclust_bic"] = (10, 60)


# The mclust files of every dataset (rule all), none without mclust names.
MCLUST_OUTPUTS = expand(
    "results/{dataset}/{name}",
    dataset=config["datasets"] if covariance_types()[1] else [],
    name=["mclust_bic.tsv", "mclust_bic.png", "mclust.json", "mclust.npz"],
)


rule mclust_bic:
    input:
        points=points_file,
    output:
        table="results/{dataset}/mclust_bic.tsv",
        figure=report(
            "results/{dataset}/mclust_bic.png",
            caption="../report/mclust_bic.rst",
            category="{dataset}",
            subcategory="model selection",
        ),
        chosen="results/{dataset}/mclust.json",
        classification="results/{dataset}/mclust.npz",
    log:
        "logs/{dataset}/mclust_bic.log",
    benchmark:
        "benchmarks/{dataset}/mclust_bic.tsv"
    threads: config["threads"]["fit"]
    resources:
        mem_mb=mem_mb("mclust_bic"),
        runtime=runtime("mclust_bic"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        G=config["K"],
        models=covariance_types()[1],
        space=lambda wc: fit_space(wc.dataset),
    run:
        run_job("mclust_bic", rule, input, output, params, wildcards, threads, log)
