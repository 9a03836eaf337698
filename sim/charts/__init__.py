"""The one chart system: Altair (Vega-Lite) specs shared by the app and the report, one
colour-blind-safe palette, and rendering to deterministic SVG for the offline report."""
