rule fit_em:
    input:
        points=points_file,
    output:
        fit=f"{FIT_DIR}/emgmm.npz",
        record=f"{FIT_DIR}/emgmm.json",
    log:
        f"logs/{FIT}/fit_em.log",
    benchmark:
        f"benchmarks/{FIT}/fit_em.tsv"
    threads: config["threads"]["fit"]
    resources:
        mem_mb=mem_mb("fit_em"),
        runtime=runtime("fit_em"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        implementation="emgmm",
        settings=fit_settings("emgmm"),
        space=lambda wc: fit_space(wc.dataset),
    run:
        run_job("fit", rule, input, output, params, wildcards, threads, log)


rule fit_sklearn:
    input:
        points=points_file,
    output:
        fit=f"{FIT_DIR}/sklearn.npz",
        record=f"{FIT_DIR}/sklearn.json",
    log:
        f"logs/{FIT}/fit_sklearn.log",
    benchmark:
        f"benchmarks/{FIT}/fit_sklearn.tsv"
    threads: config["threads"]["fit"]
    resources:
        mem_mb=mem_mb("fit_sklearn"),
        runtime=runtime("fit_sklearn"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    params:
        implementation="sklearn",
        settings=fit_settings("sklearn"),
        space=lambda wc: fit_space(wc.dataset),
    run:
        run_job("fit", rule, input, output, params, wildcards, threads, log)
