"""AI camera events and statuses: parsing, daily and weekly counts, recent activity."""
