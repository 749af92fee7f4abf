"""``python -m bench.mclust``: emgmm.mclust.bic against R mclust's mclustBIC."""
