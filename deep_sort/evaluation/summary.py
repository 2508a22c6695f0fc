"""Render per-sequence metric summaries: the printed table and summary.csv."""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping

#: Columns of the table and of summary.csv, in MOTChallenge order.
SUMMARY_COLUMNS = (
    "HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR", "Rcll", "Prcn",
    "FAR", "GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM", "Frag",
)
#: Columns holding percentages (MOTA 52.6 means 52.6 %).
PERCENT_COLUMNS = frozenset(SUMMARY_COLUMNS[:11])
#: Columns holding counts.
COUNT_COLUMNS = frozenset(SUMMARY_COLUMNS[12:])
#: Name of the row combining all sequences.
OVERALL = "OVERALL"
#: Header of the row-label column of summary.csv.
LABEL_COLUMN = "sequence"


def _format_value(column: str, value: float, csv_precision: bool = False) -> str:
    if column in COUNT_COLUMNS:
        return str(int(value))
    if csv_precision:
        return f"{value:.4f}"
    return f"{value:.2f}" if column == "FAR" else f"{value:.1f}"


def format_csv_value(column: str, value: float) -> str:
    """Format one value as summary.csv writes it: 4 decimals, counts as integers.

    Examples
    --------
    >>> format_csv_value("MOTA", 52.64619), format_csv_value("FP", 13)
    ('52.6462', '13')
    """
    return _format_value(column, value, csv_precision=True)


def format_table(rows: Mapping[str, Mapping[str, float]]) -> str:
    """Format summaries as a fixed-width text table, one line per row.

    Percentages get one decimal, FAR (false alarms per frame) two, counts
    none, as in the MOTChallenge devkit's printout.

    Parameters
    ----------
    rows : mapping of str to mapping of str to float
        Row label (sequence name or ``OVERALL``) to its summary, which holds
        every column of :data:`SUMMARY_COLUMNS`.

    Returns
    -------
    str
        Header line and one line per row, newline-terminated.

    Examples
    --------
    >>> row = dict.fromkeys(SUMMARY_COLUMNS, 0) | {"MOTA": 52.6462, "FAR": 0.1831, "FP": 13}
    >>> header, line = format_table({"TUD-Campus": row}).splitlines()
    >>> values = dict(zip(header.split(), line.split()[1:]))
    >>> values["MOTA"], values["FAR"], values["FP"]
    ('52.6', '0.18', '13')
    """
    header = ["", *SUMMARY_COLUMNS]
    lines = [header] + [
        [label] + [_format_value(column, row[column]) for column in SUMMARY_COLUMNS]
        for label, row in rows.items()
    ]
    widths = [max(len(line[index]) for line in lines) for index in range(len(header))]
    widths[1:] = [max(width, 4) for width in widths[1:]]  # keeps short count columns apart
    return "".join(
        " ".join([line[0].ljust(widths[0]), *(text.rjust(width) for text, width in zip(line[1:], widths[1:]))])
        + "\n"
        for line in lines
    )


def summary_csv(rows: Mapping[str, Mapping[str, float]]) -> str:
    """Format summaries as CSV text: a ``sequence`` column, then :data:`SUMMARY_COLUMNS`.

    Percentages and FAR are written with 4 decimals, counts as integers.

    Examples
    --------
    >>> row = dict.fromkeys(SUMMARY_COLUMNS, 0) | {"MOTA": 52.6462, "FP": 13}
    >>> print(summary_csv({"OVERALL": row}).splitlines()[1][:50])
    OVERALL,0.0000,0.0000,0.0000,0.0000,52.6462,0.0000
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([LABEL_COLUMN, *SUMMARY_COLUMNS])
    for label, row in rows.items():
        writer.writerow([label] + [format_csv_value(column, row[column]) for column in SUMMARY_COLUMNS])
    return buffer.getvalue()
