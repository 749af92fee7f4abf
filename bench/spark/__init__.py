"""``python -m bench.spark``: emgmm on Dask against Spark MLlib's mixture."""
