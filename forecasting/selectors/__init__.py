"""Reads of the ML engine: training series and registry queries."""
