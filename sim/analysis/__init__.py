"""What a run means: headline measures and their summaries, the monthly series, paired comparisons and explanations of meetings."""
