"""The simulation: a SimPy calendar that applies the model's rules to every replication at once, and the one results type."""
