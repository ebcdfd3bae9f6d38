"""Pulling the platforms' APIs into the landing zone (one module per platform; the runner and
the landing writer are shared). The landing zone stays the contract between pull and load."""
