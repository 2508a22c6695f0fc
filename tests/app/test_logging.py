"""configure_logging: per-call levels for the tools, nothing sticky for later callers, one line per record."""
from __future__ import annotations

import logging

from deep_sort.app.cli import configure_logging

LOGGER = logging.getLogger("deep_sort.app.test_logging")


def test_each_call_sets_the_level(capsys, caplog):
    root_level = logging.getLogger().level
    configure_logging(verbose=True)
    LOGGER.info("verbose info")
    assert capsys.readouterr().err == "INFO: verbose info\n"

    configure_logging()
    LOGGER.info("default info")
    LOGGER.warning("default warning")
    assert capsys.readouterr().err == "WARNING: default warning\n"

    # The library's warnings also reach the caller's own logging.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        LOGGER.warning("for the caller")
    assert [record.getMessage() for record in caplog.records] == ["for the caller"]
    assert logging.getLogger().level == root_level  # the root logger is left alone


def test_warnings_do_not_depend_on_the_root_level(capsys, monkeypatch):
    # OpenVINO's model reader sets the root logger to ERROR.
    monkeypatch.setattr(logging.getLogger(), "level", logging.ERROR)
    configure_logging()
    LOGGER.warning("still shown")
    assert capsys.readouterr().err == "WARNING: still shown\n"


def test_one_handler_however_often_it_is_called(capsys):
    for _ in range(3):
        configure_logging()
    LOGGER.warning("once")
    assert capsys.readouterr().err == "WARNING: once\n"


def test_a_record_during_a_progress_bar_is_printed_once(capsys):
    from tqdm import tqdm

    configure_logging()
    with tqdm(total=3, file=None) as bar:
        LOGGER.error("SEQ: broken")
        bar.update(3)
    err = capsys.readouterr().err
    assert err.count("SEQ: broken") == 1 and "ERROR: SEQ: broken" in err


def test_quiet_does_not_hide_warnings(capsys):
    configure_logging(quiet=True)
    LOGGER.warning("a skipped sequence")
    assert capsys.readouterr().err == "WARNING: a skipped sequence\n"
