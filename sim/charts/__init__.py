"""The one chart system: Altair (Vega-Lite) specs shared by the app and the report, one
colour-blind-safe palette, and rendering to deterministic SVG for the offline report.

- :mod:`sim.charts.palette`: series colours, dashes, text colours and their contrast;
- :mod:`sim.charts.theme`: the one Vega-Lite ``config`` every chart gets;
- :mod:`sim.charts.axes`: the month axis, value formats and decimals, headroom;
- :mod:`sim.charts.scales`: value axes from the data (a domain that holds every band,
  round ticks, labels that all differ), shared by several charts for one scale;
- :mod:`sim.charts.alt_text`: a fan chart in words (its description and caption);
- :mod:`sim.charts.fan`: fan charts (:func:`~sim.charts.fan.fan_spec` for the app,
  :func:`~sim.charts.fan.fan_chart` for the report) and :func:`~sim.charts.fan.band_rows`;
- :mod:`sim.charts.app_fans`: the app's fan charts filled in, as wide as their container,
  and small multiples (one chart per series) sharing a scale;
- :mod:`sim.charts.lines`: several series' lines on one chart;
- :mod:`sim.charts.bars`: voting power by bloc, ring-fence bindings;
- :mod:`sim.charts.render`: :func:`~sim.charts.render.to_svg`.
"""
