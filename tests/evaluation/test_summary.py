"""The printed table and summary.csv."""
from __future__ import annotations

import csv
import io

from deep_sort.evaluation.summary import LABEL_COLUMN, SUMMARY_COLUMNS, format_table, summary_csv


def rows():
    first = {column: 1.0 for column in SUMMARY_COLUMNS} | {"MOTA": 52.6462, "MOTP": 72.2799, "FAR": 0.1831, "FP": 13}
    second = {column: 2.0 for column in SUMMARY_COLUMNS} | {"MOTA": -3.25, "FN": 12345}
    return {"TUD-Campus": first, "OVERALL": second}


def test_column_order_is_the_issue_s():
    assert SUMMARY_COLUMNS == (
        "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR", "Rcll", "Prcn",
        "FAR", "GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM", "Frag",
    )


def test_table_precision_and_alignment():
    lines = format_table(rows()).splitlines()
    assert lines[0].split() == list(SUMMARY_COLUMNS)
    campus = dict(zip(SUMMARY_COLUMNS, lines[1].split()[1:]))
    overall = dict(zip(SUMMARY_COLUMNS, lines[2].split()[1:]))
    assert [campus[key] for key in ("MOTA", "MOTP", "FAR", "FP", "GT")] == ["52.6", "72.3", "0.18", "13", "1"]
    assert (overall["MOTA"], overall["FN"]) == ("-3.2", "12345")
    assert len({len(line) for line in lines}) == 1  # fixed width: every line as long as the header
    assert lines[1].startswith("TUD-Campus ") and lines[2].startswith("OVERALL    ")


def test_csv_has_the_label_column_then_exactly_the_summary_columns():
    reader = csv.DictReader(io.StringIO(summary_csv(rows())))
    assert reader.fieldnames == [LABEL_COLUMN, *SUMMARY_COLUMNS]
    parsed = list(reader)
    assert [row[LABEL_COLUMN] for row in parsed] == ["TUD-Campus", "OVERALL"]
    assert parsed[0]["MOTA"] == "52.6462" and parsed[0]["FP"] == "13" and parsed[1]["FN"] == "12345"
