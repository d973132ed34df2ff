"""The Customer Success workspace's domain and analytics layer (no UI imports)."""
