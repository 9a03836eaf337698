"""Calibration to history and global sensitivity: the published data, the fit of the model's
behavioural parameters to it, the backtest, and which assumptions drive the answers."""
