"""Descriptor generation on Ray: one task per sequence, on one machine or a cluster.

Each task loads the appearance network, encodes one sequence's detections
(:func:`~deep_sort.features.generate.encode_sequence`) and returns the
descriptors; the driver writes ``SEQ.npy`` exactly as the local run does.
Tasks read the sequence's images by path, so on a cluster the split must be
at the same path on every node (a shared file system). A task asks Ray for
a GPU when its backend can use one (TensorFlow) and the cluster has GPUs.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..distributed import connect_ray, import_ray
from .encoder import load_image_encoder
from .generate import SequenceJob, SequenceReport, _warn_incomplete, encode_sequence, write_detections

logger = logging.getLogger(__name__)


def _encode_task(job: SequenceJob, model_path: str, encoder_options: dict[str, Any]) -> tuple[np.ndarray, SequenceReport]:
    encoder = load_image_encoder(model_path, **encoder_options)
    return encode_sequence(job, encoder)


def uses_gpu(model_path: str, backend: str) -> bool:
    """Whether ``backend`` (resolved, see ``resolve_backend``) can run on a GPU (TensorFlow does, if it sees one)."""
    return backend == "tensorflow"


def generate_detections_ray(
    jobs: Sequence[SequenceJob],
    model_path: str,
    encoder_options: dict[str, Any],
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
) -> list[SequenceReport]:
    """Encode and write every sequence of ``jobs`` with one Ray task per sequence.

    Parameters
    ----------
    jobs : sequence of SequenceJob
        From :func:`~deep_sort.features.generate.plan_sequences`.
    model_path : str
        The appearance network (readable at this path on every node).
    encoder_options : dict
        Keyword arguments of :func:`~deep_sort.features.encoder.load_image_encoder`
        besides the model path (backend, batch_size, ...).
    address : str, optional
        Ray cluster (see :func:`deep_sort.distributed.connect_ray`); None starts a local Ray.
    num_cpus : int, optional
        CPUs of a local Ray started here.
    progress : bool
        Show a progress bar (sequences) on stderr.

    Returns
    -------
    list of SequenceReport
        One per job, in the order of ``jobs``.
    """
    from tqdm import tqdm

    ray = import_ray()
    started = connect_ray(address, num_cpus)
    try:
        gpus = 1 if uses_gpu(model_path, encoder_options.get("backend", "auto")) and \
            ray.cluster_resources().get("GPU", 0) >= 1 else 0
        task = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(_encode_task)
        pending = {task.remote(job, str(model_path), encoder_options): job for job in jobs}
        reports: dict[str, SequenceReport] = {}
        with tqdm(total=len(jobs), unit="seq", disable=not progress, file=sys.stderr) as bar:
            try:
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1)
                    job = pending.pop(done[0])
                    try:
                        features, report = ray.get(done[0])
                    except ray.exceptions.RayTaskError as exc:
                        raise exc.as_instanceof_cause() from None
                    write_detections(job.output_path, job.rows, features)
                    _warn_incomplete(report)
                    logger.info("%s: %d detections in %.1f s on Ray -> %s", job.name, report.n_detections,
                                report.seconds, job.output_path)
                    reports[job.name] = report
                    bar.update(1)
            finally:
                for ref in pending:
                    ray.cancel(ref, force=True)
        return [reports[job.name] for job in jobs]
    finally:
        if started:
            ray.shutdown()
