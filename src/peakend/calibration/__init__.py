"""Calibration to a centre's own contact log, and the backtest of the result.

``peakend calibrate LOG --out DIR`` and ``peakend backtest SCENARIO LOG`` are thin
layers over :func:`peakend.calibration.api.calibrate_log` and
:func:`peakend.calibration.backtest.backtest`. The modules, one concept each:
:mod:`~peakend.calibration.logformat` (column mappings and presets),
:mod:`~peakend.calibration.logs` (reading a log safely),
:mod:`~peakend.calibration.fitting` (maximum likelihood with censoring),
:mod:`~peakend.calibration.survival` (Kaplan-Meier),
:mod:`~peakend.calibration.arrivals`, :mod:`~peakend.calibration.contacts`,
:mod:`~peakend.calibration.rosters` (the fits),
:mod:`~peakend.calibration.memory_fit` (survey scores to memory weights, on journeys
rebuilt from the log), :mod:`~peakend.calibration.returns_fit` (returning customers to
the return model),
:mod:`~peakend.calibration.calibrate` (all fits of a log),
:mod:`~peakend.calibration.scenario_writer` (the scenario TOML),
:mod:`~peakend.calibration.report` (the HTML report),
:mod:`~peakend.calibration.backtest` and :mod:`~peakend.calibration.synthetic`
(logs with a known truth).
"""
