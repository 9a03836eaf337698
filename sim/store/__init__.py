"""Finished runs on disk: the tables' columns, the atomic writer and its temporaries, and the one reader of a run directory."""
