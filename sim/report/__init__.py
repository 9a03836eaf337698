"""The offline HTML report of a batch of runs."""
