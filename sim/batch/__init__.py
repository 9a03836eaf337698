"""Many scenarios and replications: chunks, the backends that run them (in process, a pool, Dask), and the scheduler."""
