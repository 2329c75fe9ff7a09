"""The ML API: forecasts and model management under /api/v1/ml/."""
