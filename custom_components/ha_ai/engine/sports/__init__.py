"""Sports moments from TeamTracker sensors: game started, scored, won, lost, tied."""
