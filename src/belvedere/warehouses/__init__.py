"""Warehouse backends behind one small interface; see :mod:`belvedere.warehouses.base`."""
