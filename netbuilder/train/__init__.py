"""Training: data sets, engine, metrics, checkpoints, exported scripts (no Qt).

``engine.Trainer`` runs a graph and yields ``events``; ``config.TrainingConfig`` is
the graph file's ``training`` object; ``script.export_training_script`` writes the
same training as one standalone file. Nothing is imported here, so loading
``netbuilder.train.datasets`` does not pay for torch or the engine.
"""
