"""Helpers for scripts and benchmarks (synthetic data); nothing here runs in a worker."""
