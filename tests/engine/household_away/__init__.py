"""Tests of learning when the house is empty."""
