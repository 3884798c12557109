"""Chat platforms: their API clients, how a summary is rendered for each, and following a job to the end."""
