"""What a scenario is (format), how it is read and checked (loader, consistency), and its reference docs.

This package's ``__init__`` imports nothing: the model imports the format, and the loader (which
checks a scenario against the model) sits above the model.
"""
