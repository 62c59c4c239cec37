"""Habits on Home Assistant's side.

The state log, the analysis, and routines happening now; the mining lives in
`engine/habits`.
"""
