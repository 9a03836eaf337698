"""Many scenarios and replications: chunk planning and the sizing rules, the backends that run chunks (in process, a pool, Dask), and the scheduler."""
