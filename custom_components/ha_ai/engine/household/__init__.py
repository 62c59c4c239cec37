"""Household routines: the morning, bedtime and the empty house, learned, followed."""
