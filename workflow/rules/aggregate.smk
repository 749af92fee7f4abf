rule model_selection:
    input:
        embedding="results/{dataset}/embedding.npz",
        data="results/{dataset}/data.npz",
        info="results/{dataset}/data.json",
        records=lambda wc: fit_files(f"{FIT_DIR}/emgmm.json", wc.dataset),
        fits=lambda wc: fit_files(f"{FIT_DIR}/emgmm.npz", wc.dataset),
        sklearn=lambda wc: fit_files(f"{FIT_DIR}/sklearn.npz", wc.dataset),
        # mclust's models, where covariance_types names some (rules/mclust.smk)
        mclust_table=mclust_files("mclust_bic.tsv"),
        mclust_fit=mclust_files("mclust.npz"),
    output:
        table="results/{dataset}/model_selection.tsv",
        figure=report(
            "results/{dataset}/model_selection.png",
            caption="../report/model_selection.rst",
            category="{dataset}",
            subcategory="model selection",
        ),
        uncertainty=report(
            "results/{dataset}/uncertainty.png",
            caption="../report/uncertainty.rst",
            category="{dataset}",
            subcategory="model selection",
        ),
        confusion=report(
            "results/{dataset}/confusion.png",
            caption="../report/confusion.rst",
            category="{dataset}",
            subcategory="model selection",
        ),
    log:
        "logs/{dataset}/model_selection.log",
    benchmark:
        "benchmarks/{dataset}/model_selection.tsv"
    resources:
        mem_mb=mem_mb("model_selection"),
        runtime=runtime("model_selection"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        criterion=config["model_selection"]["criterion"],
    run:
        run_job("model_selection", rule, input, output, params, wildcards, threads, log)


rule stability:
    input:
        records=lambda wc: fit_files(f"{FIT_DIR}/emgmm.json", wc.dataset),
        fits=lambda wc: fit_files(f"{FIT_DIR}/emgmm.npz", wc.dataset),
    output:
        table="results/{dataset}/stability.tsv",
        figure=report(
            "results/{dataset}/stability.png",
            caption="../report/stability.rst",
            category="{dataset}",
            subcategory="stability across seeds",
        ),
    log:
        "logs/{dataset}/stability.log",
    benchmark:
        "benchmarks/{dataset}/stability.tsv"
    resources:
        mem_mb=mem_mb("stability"),
        runtime=runtime("stability"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    run:
        run_job("stability", rule, input, output, params, wildcards, threads, log)


rule summary:
    input:
        emgmm=fit_files(f"{FIT_DIR}/emgmm.json"),
        sklearn=fit_files(f"{FIT_DIR}/sklearn.json"),
        scores=fit_files(f"{FIT_DIR}/scores.json"),
        selections=expand(
            "results/{dataset}/model_selection.tsv", dataset=config["datasets"]
        ),
        preprocessing=expand(
            "results/{dataset}/features.json", dataset=config["datasets"]
        ),
    output:
        table=report(
            "results/summary.tsv",
            caption="../report/summary.rst",
            category=" Summary",
        ),
        chosen=report(
            "results/chosen.tsv",
            caption="../report/chosen.rst",
            category=" Summary",
        ),
    log:
        "logs/summary.log",
    benchmark:
        "benchmarks/summary.tsv"
    resources:
        in_process=in_process,
    params:
        datasets=list(config["datasets"]),
        fit_space={name: fit_space(name) for name in config["datasets"]},
    run:
        run_job("summary", rule, input, output, params, wildcards, threads, log)


rule overview:
    input:
        summary="results/summary.tsv",
        chosen="results/chosen.tsv",
        figures=expand(
            "results/{dataset}/model_selection.png", dataset=config["datasets"]
        ),
    output:
        page=report(
            "results/overview.html",
            caption="../report/overview.rst",
            category=" Summary",
        ),
    log:
        "logs/overview.log",
    resources:
        in_process=in_process,
    params:
        datasets=list(config["datasets"]),
    run:
        run_job("overview", rule, input, output, params, wildcards, threads, log)


rule manifest:
    input:
        summary="results/summary.tsv",
        overview="results/overview.html",
        data=expand("results/{dataset}/data.npz", dataset=config["datasets"]),
        embeddings=expand("results/{dataset}/embedding.npz", dataset=config["datasets"]),
        dataset_outputs=dataset_outputs(),
        figures=all_fit_figures(),
    output:
        manifest="results/manifest.json",
        timings="results/timings.tsv",
    log:
        "logs/manifest.log",
    resources:
        in_process=in_process,
    params:
        config=config,
    run:
        run_job("manifest", rule, input, output, params, wildcards, threads, log)
