"""Tests of the AI camera engine."""
