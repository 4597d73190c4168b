"""Requirement sources, installed distributions and the satisfaction check."""
