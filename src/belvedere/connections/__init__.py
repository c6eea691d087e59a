"""Stored warehouse connections and the live backends built from them."""
