"""Spreadsheets: the one home of openpyxl (`writer` for case workbooks, `reader` for bulk
import). Import the submodules only where a command needs them; openpyxl is slow to load."""
