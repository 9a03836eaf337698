"""The offline HTML report of a batch of runs (:func:`sim.report.page.write_report`).

- :mod:`sim.report.variant`: a run directory, read, and its fan-chart bands;
- :mod:`sim.report.text`: numbers and words as the page shows them;
- :mod:`sim.report.figures`: the page's charts, from :mod:`sim.charts`;
- :mod:`sim.report.sections`: the model of the page, section by section;
- :mod:`sim.report.page`: the Jinja2 template filled in, and written atomically.
"""
