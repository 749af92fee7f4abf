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
        unpack(embed_inputs),
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


# With umap.transform_chunks > 1 the embedding is three steps: UMAP fitted on
# the subsample (embed_fit), the other rows placed chunk by chunk, one job
# each (embed_transform), and the chunks gathered in order (embed).
rule embed_fit:
    input:
        features="results/{dataset}/features.npz",
    output:
        model="results/{dataset}/umap/model.pkl",
        parts="results/{dataset}/umap/fit.npz",
        info="results/{dataset}/umap/fit.json",
    log:
        "logs/{dataset}/embed_fit.log",
    benchmark:
        "benchmarks/{dataset}/embed_fit.tsv"
    conda:
        "../../envs/emgmm.yaml"
    threads: config["threads"]["embed"]
    resources:
        mem_mb=mem_mb("embed_fit"),
        runtime=runtime("embed_fit"),
        cpus_per_task=cpus_per_task,
    params:
        umap=umap_params,
    script:
        "../scripts/embed_fit.py"


rule embed_transform:
    input:
        features="results/{dataset}/features.npz",
        model="results/{dataset}/umap/model.pkl",
        parts="results/{dataset}/umap/fit.npz",
    output:
        chunk="results/{dataset}/umap/transform_{chunk}.npz",
    log:
        "logs/{dataset}/embed_transform_{chunk}.log",
    benchmark:
        "benchmarks/{dataset}/embed_transform_{chunk}.tsv"
    conda:
        "../../envs/emgmm.yaml"
    threads: config["threads"]["embed"]
    resources:
        mem_mb=mem_mb("embed_transform"),
        runtime=runtime("embed_transform"),
        cpus_per_task=cpus_per_task,
    params:
        n_chunks=lambda wc: umap_params(wc)["transform_chunks"],
    script:
        "../scripts/embed_transform.py"
