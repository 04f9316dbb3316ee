"""Spreadsheets: the one home of the xlsx libraries (`writer` writes case and audit workbooks with
XlsxWriter, `reader` reads bulk imports with openpyxl). Import the submodules only where a command
needs them; both libraries are slow to load."""
