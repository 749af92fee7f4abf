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


rule embed:
    input:
        data="results/{dataset}/data.npz",
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
