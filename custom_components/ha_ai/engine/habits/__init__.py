"""Habit mining: routines at a time of day, and things switched together."""
