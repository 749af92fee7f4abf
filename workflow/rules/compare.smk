# One job per fit compares the pair: matching, scores and the four figures.
# They need nothing but the two fits (and the data and embedding), no config
# key reaches them, and each costs milliseconds: as separate jobs they cost a
# Python start-up each (seconds), not work.


rule compare:
    input:
        data="results/{dataset}/data.npz",
        features_info="results/{dataset}/features.json",
        points=points_file,
        embedding="results/{dataset}/embedding.npz",
        emgmm=f"{FIT_DIR}/emgmm.npz",
        sklearn=f"{FIT_DIR}/sklearn.npz",
        emgmm_record=f"{FIT_DIR}/emgmm.json",
        sklearn_record=f"{FIT_DIR}/sklearn.json",
    output:
        matching=f"{FIT_DIR}/matching.tsv",
        scores=f"{FIT_DIR}/scores.json",
        convergence=report(
            f"{FIT_DIR}/figures/convergence.png",
            caption="../report/convergence.rst",
            category="{dataset}",
            subcategory=fit_subcategory,
            labels={"figure": "mixing proportions"},
        ),
        log_likelihood=report(
            f"{FIT_DIR}/figures/log_likelihood.png",
            caption="../report/log_likelihood.rst",
            category="{dataset}",
            subcategory=fit_subcategory,
            labels={"figure": "log-likelihood"},
        ),
        labels=report(
            f"{FIT_DIR}/figures/labels.png",
            caption="../report/labels.rst",
            category="{dataset}",
            subcategory=fit_subcategory,
            labels={"figure": "labelings"},
        ),
        ellipses=report(
            f"{FIT_DIR}/figures/ellipses.png",
            caption="../report/ellipses.rst",
            category="{dataset}",
            subcategory=fit_subcategory,
            labels={"figure": "ellipses"},
        ),
    log:
        f"logs/{FIT}/compare.log",
    benchmark:
        f"benchmarks/{FIT}/compare.tsv"
    resources:
        mem_mb=mem_mb("compare"),
        runtime=runtime("compare"),
        cpus_per_task=cpus_per_task,
        in_process=in_process,
    run:
        run_job("compare", rule, input, output, params, wildcards, threads, log)
