"""CLEAR MOT, identity and HOTA metrics through the official MOTChallenge kit (TrackEval).

TrackEval's metric classes are the code the MOTChallenge server scores with;
they are called on :class:`~deep_sort.evaluation.sequence.SequenceData`
(already preprocessed by our own loader, which replaces TrackEval's
file-layout-bound dataset classes). Sequences are combined the way the kit
combines them: counts are summed over sequences and the ratios recomputed
from the sums (HOTA: per IoU threshold, association accuracy weighted by true
positives), never by averaging per-sequence scores.

TrackEval is imported lazily, on the first scoring call.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .sequence import SequenceData

#: Matching threshold of CLEAR MOT and identity metrics (IoU >= 0.5).
MATCH_THRESHOLD = 0.5


@dataclass(frozen=True)
class SequenceScores:
    """Raw metric results of one sequence (or of several combined).

    Attributes
    ----------
    num_frames : int
        Frames scored (summed when combined), for the false-alarm rate.
    clear : dict
        TrackEval CLEAR fields (CLR_TP, CLR_FN, CLR_FP, IDSW, MT, PT, ML, Frag,
        MOTA, MOTP, ...), ratios as fractions.
    identity : dict
        TrackEval Identity fields (IDTP, IDFN, IDFP, IDF1, IDP, IDR).
    hota : dict
        TrackEval HOTA fields; arrays of shape (19,) over the IoU thresholds
        0.05, 0.10, ..., 0.95.
    """

    num_frames: int
    clear: dict = field(repr=False)
    identity: dict = field(repr=False)
    hota: dict = field(repr=False)

    def summary(self) -> dict[str, float]:
        """Return the MOTChallenge summary columns (see :data:`~deep_sort.evaluation.summary.SUMMARY_COLUMNS`).

        Returns
        -------
        dict of str to float
            HOTA, DetA, AssA, LocA (means over the IoU thresholds), MOTA, MOTP
            (mean IoU of matches), IDF1, IDP, IDR, Rcll, Prcn in percent; FAR
            = false positives per frame; GT, MT, PT, ML, FP, FN, IDs, FM,
            Frag as counts. FM and Frag are the same fragmentation count,
            under the MATLAB devkit's and TrackEval's column names.
        """
        clear, identity, hota = self.clear, self.identity, self.hota
        fragmentations = int(clear["Frag"])
        return {
            "HOTA": 100 * float(np.mean(hota["HOTA"])),
            "DetA": 100 * float(np.mean(hota["DetA"])),
            "AssA": 100 * float(np.mean(hota["AssA"])),
            "LocA": 100 * float(np.mean(hota["LocA"])),
            "MOTA": 100 * float(clear["MOTA"]),
            "MOTP": 100 * float(clear["MOTP"]),
            "IDF1": 100 * float(identity["IDF1"]),
            "IDP": 100 * float(identity["IDP"]),
            "IDR": 100 * float(identity["IDR"]),
            "Rcll": 100 * float(clear["CLR_Re"]),
            "Prcn": 100 * float(clear["CLR_Pr"]),
            "FAR": float(clear["CLR_FP"]) / max(1, self.num_frames),
            "GT": int(clear["MT"] + clear["PT"] + clear["ML"]),
            "MT": int(clear["MT"]),
            "PT": int(clear["PT"]),
            "ML": int(clear["ML"]),
            "FP": int(clear["CLR_FP"]),
            "FN": int(clear["CLR_FN"]),
            "IDs": int(clear["IDSW"]),
            "FM": fragmentations,
            "Frag": fragmentations,
        }


@functools.cache
def _trackeval_metrics() -> tuple:
    import trackeval.metrics

    config = {"THRESHOLD": MATCH_THRESHOLD, "PRINT_CONFIG": False}
    return (
        trackeval.metrics.CLEAR(config),
        trackeval.metrics.Identity(config),
        trackeval.metrics.HOTA(),
    )


def score_sequence(data: SequenceData) -> SequenceScores:
    """Compute CLEAR MOT, identity and HOTA metrics of one sequence.

    Parameters
    ----------
    data : SequenceData
        Preprocessed boxes (see :func:`~deep_sort.evaluation.sequence.build_sequence_data`).

    Returns
    -------
    SequenceScores
    """
    clear, identity, hota = _trackeval_metrics()
    trackeval_data = data.to_trackeval()
    return SequenceScores(
        num_frames=data.num_frames,
        clear=clear.eval_sequence(trackeval_data),
        identity=identity.eval_sequence(trackeval_data),
        hota=hota.eval_sequence(trackeval_data),
    )


def combine_scores(scores: Sequence[SequenceScores]) -> SequenceScores:
    """Combine sequences into one result, as the kit's COMBINED_SEQ row.

    Parameters
    ----------
    scores : sequence of SequenceScores
        One entry per sequence (at least one).

    Returns
    -------
    SequenceScores
        Summed counts with ratios recomputed from them.

    Raises
    ------
    ValueError
        If ``scores`` is empty.
    """
    if not scores:
        raise ValueError("no sequence results to combine")
    clear, identity, hota = _trackeval_metrics()
    keyed = {str(index): score for index, score in enumerate(scores)}
    return SequenceScores(
        num_frames=sum(score.num_frames for score in scores),
        clear=clear.combine_sequences({key: score.clear for key, score in keyed.items()}),
        identity=identity.combine_sequences({key: score.identity for key, score in keyed.items()}),
        hota=hota.combine_sequences({key: score.hota for key, score in keyed.items()}),
    )
