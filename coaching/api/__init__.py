"""Coaching API."""
