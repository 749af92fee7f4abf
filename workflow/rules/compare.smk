rule match:
    input:
        emgmm=f"{FIT_DIR}/emgmm.npz",
        sklearn=f"{FIT_DIR}/sklearn.npz",
    output:
        table=f"{FIT_DIR}/matching.tsv",
    log:
        f"logs/{FIT}/match.log",
    benchmark:
        f"benchmarks/{FIT}/match.tsv"
    conda:
        "../../envs/emgmm.yaml"
    script:
        "../scripts/match.py"


rule score:
    input:
        data="results/{dataset}/data.npz",
        embedding="results/{dataset}/embedding.npz",
        emgmm=f"{FIT_DIR}/emgmm.npz",
        sklearn=f"{FIT_DIR}/sklearn.npz",
        emgmm_record=f"{FIT_DIR}/emgmm.json",
        sklearn_record=f"{FIT_DIR}/sklearn.json",
        matching=f"{FIT_DIR}/matching.tsv",
    output:
        scores=f"{FIT_DIR}/scores.json",
    log:
        f"logs/{FIT}/score.log",
    benchmark:
        f"benchmarks/{FIT}/score.tsv"
    conda:
        "../../envs/emgmm.yaml"
    script:
        "../scripts/score.py"


rule plot_fit:
    input:
        embedding="results/{dataset}/embedding.npz",
        emgmm=f"{FIT_DIR}/emgmm.npz",
        sklearn=f"{FIT_DIR}/sklearn.npz",
        emgmm_record=f"{FIT_DIR}/emgmm.json",
        sklearn_record=f"{FIT_DIR}/sklearn.json",
        matching=f"{FIT_DIR}/matching.tsv",
    output:
        convergence=report(
            f"{FIT_DIR}/figures/convergence.png",
            caption="../report/convergence.rst",
            category="{dataset}",
            subcategory="K={k} {covariance_type} seed {seed}",
            labels={"figure": "mixing proportions"},
        ),
        log_likelihood=report(
            f"{FIT_DIR}/figures/log_likelihood.png",
            caption="../report/log_likelihood.rst",
            category="{dataset}",
            subcategory="K={k} {covariance_type} seed {seed}",
            labels={"figure": "log-likelihood"},
        ),
        labels=report(
            f"{FIT_DIR}/figures/labels.png",
            caption="../report/labels.rst",
            category="{dataset}",
            subcategory="K={k} {covariance_type} seed {seed}",
            labels={"figure": "labelings"},
        ),
        ellipses=report(
            f"{FIT_DIR}/figures/ellipses.png",
            caption="../report/ellipses.rst",
            category="{dataset}",
            subcategory="K={k} {covariance_type} seed {seed}",
            labels={"figure": "ellipses"},
        ),
    log:
        f"logs/{FIT}/plot_fit.log",
    benchmark:
        f"benchmarks/{FIT}/plot_fit.tsv"
    conda:
        "../../envs/emgmm.yaml"
    resources:
        mem_mb=mem_mb("plot_fit"),
        runtime=runtime("plot_fit"),
        cpus_per_task=cpus_per_task,
    script:
        "../scripts/plot_fit.py"
