"""Stage 5, showing the synthesis to people: query results as text, CSV, JSON or Markdown (:mod:`.tabular`), the
paper's tables as files (:mod:`.tables`), Excel workbooks (:mod:`.workbook`), SVG plots (:mod:`.svg`,
:mod:`.plot_data`, :mod:`.plot`) and the data dictionary (:mod:`.dictionary`)."""
