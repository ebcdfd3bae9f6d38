"""Revenue warehouse: extract, load, transform, audit and publish marketing and sales data."""
