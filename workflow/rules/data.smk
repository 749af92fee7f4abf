rule load:
    input:
        dataset_input,
    output:
        data="results/{dataset}/data.npz",
        info="results/{dataset}/data.json",
    log:
        "logs/{dataset}/load.log",
    benchmark:
        "benchmarks/{dataset}/load.tsv"
    resources:
        mem_mb=mem_mb("load"),
        runtime=runtime("load"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        spec=dataset_spec,
    run:
        run_job("load", rule, input, output, params, wildcards, threads, log)


rule preprocess:
    input:
        data="results/{dataset}/data.npz",
        info="results/{dataset}/data.json",
    output:
        features="results/{dataset}/features.npz",
        info="results/{dataset}/features.json",
    log:
        "logs/{dataset}/preprocess.log",
    benchmark:
        "benchmarks/{dataset}/preprocess.tsv"
    resources:
        mem_mb=mem_mb("preprocess"),
        runtime=runtime("preprocess"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        preprocess=preprocess_params,
    run:
        run_job("preprocess", rule, input, output, params, wildcards, threads, log)


rule embed:
    input:
        features="results/{dataset}/features.npz",
        preprocessing="results/{dataset}/features.json",
    output:
        embedding="results/{dataset}/embedding.npz",
        info="results/{dataset}/embedding.json",
    log:
        "logs/{dataset}/embed.log",
    benchmark:
        "benchmarks/{dataset}/embed.tsv"
    conda:
        "../../envs/emgmm.yaml"
    threads: config["threads"]["embed"]
    resources:
        mem_mb=mem_mb("embed"),
        runtime=runtime("embed"),
        cpus_per_task=cpus_per_task,
    params:
        umap=umap_params,
    script:
        "../scripts/embed.py"
