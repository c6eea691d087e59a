"""Charts: specs, their SQL per dialect, Vega-Lite drawings, and running them."""
