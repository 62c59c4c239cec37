"""The override watch and the verdicts drawn from overrides."""
