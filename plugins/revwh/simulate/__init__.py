"""A simulated B2B company: its spend, sessions and CRM records, and the truth behind them."""
