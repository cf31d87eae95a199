"""Reports comparing models from results records: a Table-1-style table, plots (PNG + SVG) and one HTML page."""
from brainmark.reports.html import write_report
from brainmark.reports.plots import plot_all
from brainmark.reports.shape_bias import shape_bias_figure, shape_bias_svg
from brainmark.reports.tables import comparison_table, load_records

__all__ = ["comparison_table", "load_records", "plot_all", "shape_bias_figure", "shape_bias_svg", "write_report"]
