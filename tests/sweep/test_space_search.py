"""Sweep parameters and searches: parsing, validation, order and determinism."""
from __future__ import annotations

import pytest

from deep_sort.config import TrackingConfig
from deep_sort.io.errors import InputError
from deep_sort.sweep.report import parse_metrics, pareto_front
from deep_sort.sweep.search import GridSearch, RandomSearch, make_search
from deep_sort.sweep.space import Range, parse_grid
from deep_sort.sweep.store import Trial


def test_grid_values_ranges_and_fixed():
    space = parse_grid(["max_age=10,30", "nn_budget=50,None", "n_init=5", "max_iou_distance=0.5:0.9",
                        "max_cosine_distance=0.1:0.3:0.1"])
    assert space.swept["max_age"] == [10, 30]
    assert space.swept["nn_budget"] == [50, None]
    assert space.swept["max_iou_distance"] == Range(0.5, 0.9, integer=False)
    assert space.swept["max_cosine_distance"] == [0.1, 0.2, 0.3]
    assert space.fixed["n_init"] == 5
    assert space.fixed["min_confidence"] == TrackingConfig.paper().min_confidence  # evaluate's defaults
    assert list(space.complete({"max_age": 10, "nn_budget": 50, "max_iou_distance": 0.6,
                                "max_cosine_distance": 0.1})) == TrackingConfig.names()


@pytest.mark.parametrize(
    "specs, message",
    [
        (["max_agee=10,20"], "unknown tracking parameter; did you mean max_age"),  # typo
        (["foo=1,2"], "unknown tracking parameter; choose from"),  # nothing close
        (["max_age=0,10"], "max_age must be a positive integer, got 0"),  # out of range
        (["nms_max_overlap=0.5,1.5"], "nms_max_overlap must be in [0, 1], got 1.5"),
        (["max_age=ten"], "'ten' is not a whole number"),  # wrong kind
        (["max_age="], "no values"),  # empty grid
        (["max_age=10,,20"], "empty value"),
        (["max_age"], "expected NAME=V1,V2"),
        (["max_age=10,20", "max_age=30"], "given twice"),
        (["max_age=30"], "nothing to sweep"),  # only fixed parameters
        ([], "nothing to sweep"),
        (["max_age=30:10"], "LOW must be smaller"),
        (["max_age=1:10:0"], "STEP must be positive"),
        (["max_cosine_distance=0:2:0.00001"], "at most"),  # runaway step list
        (["nn_budget=None:100"], "a range is LOW:HIGH"),
    ],
)
def test_bad_grids(specs, message):
    with pytest.raises(InputError, match=None) as info:
        parse_grid(specs)
    assert message in str(info.value)


def test_grid_search_order_and_batches():
    search = GridSearch(parse_grid(["max_age=10,30", "n_init=1,2,3"]), batch_size=4)
    first, second, done = search.ask(), search.ask(), search.ask()
    assert [(t["max_age"], t["n_init"]) for t in first + second] == [
        (10, 1), (10, 2), (10, 3), (30, 1), (30, 2), (30, 3)]  # first parameter varies slowest
    assert (len(first), len(second), done) == (4, 2, [])


def test_random_search_is_seeded_and_within_ranges():
    space = parse_grid(["max_age=5:50", "max_cosine_distance=0.1:0.4", "nn_budget=50,100,None"])

    def trials(seed, batch_size):
        search = RandomSearch(space, 12, batch_size, seed)
        return [trial for batch in iter(search.ask, []) for trial in batch]

    assert trials(3, 5) == trials(3, 12)  # batches do not change the trials
    assert trials(3, 5) != trials(4, 5)
    for trial in trials(3, 5):
        assert 5 <= trial["max_age"] <= 50 and isinstance(trial["max_age"], int)
        assert 0.1 <= trial["max_cosine_distance"] <= 0.4
        assert trial["nn_budget"] in (50, 100, None)


def test_optuna_search_is_reproducible():
    pytest.importorskip("optuna")
    space = parse_grid(["max_age=5:50", "max_cosine_distance=0.1:0.4"])

    def run():
        search = make_search("optuna", space, 9, 3, 7, ["maximize"])
        asked = []
        while batch := search.ask():
            asked += batch
            search.tell([[trial["max_age"] / 50 - abs(trial["max_cosine_distance"] - 0.25)] for trial in batch])
        return asked

    first = run()
    assert len(first) == 9 and first == run()


@pytest.mark.parametrize(
    "kind, trials, message",
    [
        ("grid", 5, "--trials applies to"),  # a grid has its own size
        ("nope", None, "unknown search"),
    ],
)
def test_bad_searches(kind, trials, message):
    with pytest.raises(InputError, match=message):
        make_search(kind, parse_grid(["max_age=10,30"]), trials, 4, 0, ["maximize"])


def test_grid_search_refuses_ranges():
    with pytest.raises(InputError, match="needs lists of values"):
        make_search("grid", parse_grid(["max_age=10:30"]), None, 4, 0, ["maximize"])


@pytest.mark.parametrize(
    "text, expected",
    [("HOTA", ["HOTA"]), ("idf1", ["IDF1"]), ("HOTA, IDs", ["HOTA", "IDs"])],
)
def test_parse_metrics(text, expected):
    assert parse_metrics(text) == expected


@pytest.mark.parametrize(
    "text, message",
    [("HOTTA", "did you mean HOTA"), ("GT", "not something to optimise"), ("HOTA,HOTA", "two different"),
     ("HOTA,IDF1,MOTA", "two different")],
)
def test_bad_metrics(text, message):
    with pytest.raises(InputError, match=message):
        parse_metrics(text)


def test_pareto_front():
    def trial(index, hota, ids):
        return Trial(index, {}, summary={"HOTA": hota, "IDs": ids})

    trials = [trial(0, 50, 10), trial(1, 60, 20), trial(2, 55, 30), trial(3, 40, 5), trial(4, 60, 20)]
    # 2 is beaten by 1 (higher HOTA, fewer switches); 4 repeats 1.
    assert [t.index for t in pareto_front(trials, ["HOTA", "IDs"])] == [1, 0, 3]
