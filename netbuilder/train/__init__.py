"""Training: data sets, engine, metrics, checkpoints (no Qt)."""
