"""The ML engine: algorithms, backtests, model registry, training jobs, auto-learning,
monitoring, alerts, classifiers and inventory planning."""
