"""Parameter sweeps: many tracking configurations on a split, scored in memory.

- :mod:`.space`: the swept parameters (``--grid`` values and ranges);
- :mod:`.search`: grid, random and Optuna searches, batch by batch;
- :mod:`.trial`: a sequence loaded once, one configuration tracked and scored;
- :mod:`.executors`: this process, local worker processes, or Ray tasks;
- :mod:`.store`: the result cache (resume) and the trial tables;
- :mod:`.report`: objectives, best trial, Pareto front, plots;
- :mod:`.runner`: the loop that ties them together.

The command line is ``tools/sweep.py`` (:mod:`deep_sort.app.sweep`). Optuna,
Ray and matplotlib are imported only when used.
"""
