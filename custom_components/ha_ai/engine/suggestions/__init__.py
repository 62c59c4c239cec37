"""Suggestions: what HA AI proposes to a user, from habits and Zigbee findings.

`findings` words a habit pattern or an unused capability as a draft; `book` keeps
the suggestions with their lifecycle (new, accepted, dismissed, deployed, failed),
merges each analysis run's drafts into them and ranks them; `feedback` counts the
user's answers per category, kind and area and gives each draft a rank factor;
`serialize` stores the book (and the answers) as JSON-ready data.
"""
