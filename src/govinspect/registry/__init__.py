"""The registry of supervised sites, new-media accounts and the units that run them."""
