"""Writes of the ML engine: training, the registry lifecycle, predictions, feedback,
monitoring and alerts. Each is a keyword-only ``<entity>_<action>`` function."""
