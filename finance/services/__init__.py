"""Writes to the books, each an atomic, keyword-only ``<entity>_<action>`` function."""
