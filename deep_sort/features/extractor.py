"""Appearance descriptors of ``supervision.Detections``: the feature-extractor protocol of roboflow ``trackers``.

A feature extractor is any object with ``extract_features(frame,
detections) -> (N, D) array``; :class:`deep_sort.DeepSORTTracker` calls it
once per frame. :class:`DeepSORTFeatureExtractor` is the one this package
provides, from three kinds of model, each with its crop rule
(:mod:`deep_sort.features.patches`):

============================  ==============================  ================================
constructor                   model                           crop rule
============================  ==============================  ================================
``from_frozen_graph(path)``   mars-small128 ``.pb``           mars rule, 128 x 64, uint8 BGR
``from_onnx(path)``           ``.onnx`` taking uint8/float    mars rule at the model's input
                              BGR patches ``[N, H, W, 3]``    size, pixel values 0-255 BGR
``from_timm(model_name)``     a timm backbone                 box rule at the model's input
                                                              size, the model's mean and std
============================  ==============================  ================================

OpenCV and the model's framework are imported when an extractor is created.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from ..io.errors import InputError
from .encoder import DEFAULT_BATCH_SIZE, ONNX_SUFFIX, load_image_encoder
from .patches import extract_box_patches, extract_image_patches

#: Crop rules: name -> what the extractor cuts from the frame.
CROP_RULES = ("mars", "box")


class DeepSORTFeatureExtractor:
    """Appearance model plus crop rule: one descriptor per detection box.

    Create it with :meth:`from_timm`, :meth:`from_onnx` or
    :meth:`from_frozen_graph`; pass it to :class:`deep_sort.DeepSORTTracker`
    (``extract_features``), or to :class:`deep_sort.DeepSort` as its
    ``encoder`` (calling it with tlwh boxes).

    Parameters
    ----------
    image_encoder : ImageEncoder or TorchEncoder
        ``image_encoder(patches) -> (N, D) float32`` for uint8 BGR patches of
        ``image_encoder.image_shape``; has ``feature_dim``.
    crop_rule : {"mars", "box"}
        ``mars``: the published tool's rule (box widened to the patch aspect
        ratio about its centre); ``box``: the box's own pixels, stretched.

    Attributes
    ----------
    image_encoder
    crop_rule : str
    input_size : tuple of (int, int)
        Patch (height, width) the model takes.
    feature_dim : int
        Descriptor length D.
    """

    def __init__(self, image_encoder: Any, crop_rule: str) -> None:
        if crop_rule not in CROP_RULES:
            raise ValueError(f"crop_rule: expected one of {', '.join(CROP_RULES)}, got {crop_rule!r}")
        self.image_encoder = image_encoder
        self.crop_rule = crop_rule
        self.input_size = tuple(image_encoder.image_shape[:2])
        self.feature_dim = int(image_encoder.feature_dim)

    @classmethod
    def from_frozen_graph(
        cls,
        path: str | os.PathLike[str],
        *,
        backend: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_threads: int | None = None,
    ) -> DeepSORTFeatureExtractor:
        """The published mars-small128 network (a frozen TensorFlow graph), with the mars crop rule.

        Parameters
        ----------
        path : str or PathLike
            ``mars-small128.pb`` (see ``tools/freeze_model.py``).
        backend : {"auto", "openvino", "tensorflow"}
            ``auto``: OpenVINO if installed, else TensorFlow.
        batch_size : int
            Patches per inference call.
        n_threads : int, optional
            Inference threads; default all CPUs of the process.

        Raises
        ------
        deep_sort.io.InputError
            Missing or unreadable file, an ``.onnx`` file, no backend installed.
        """
        if str(path).lower().endswith(ONNX_SUFFIX):
            raise InputError(f"{path}: an ONNX model; use DeepSORTFeatureExtractor.from_onnx")
        if backend == "onnxruntime":
            raise InputError("backend: a frozen graph runs with openvino or tensorflow, not onnxruntime")
        return cls(load_image_encoder(path, backend, batch_size, n_threads=n_threads), "mars")

    @classmethod
    def from_onnx(
        cls,
        path: str | os.PathLike[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_threads: int | None = None,
        input_name: str | None = None,
        output_name: str | None = None,
    ) -> DeepSORTFeatureExtractor:
        """An ONNX model that takes what mars-small128 takes, with the mars crop rule.

        The model's input is ``[N, H, W, 3]`` BGR patches with pixel values
        0-255 (uint8, or float), its output ``[N, D]``; the patch size is the
        model's own (H, W). onnxruntime runs it on the CPU.

        Parameters
        ----------
        path : str or PathLike
            The ``.onnx`` file.
        batch_size : int
            Patches per inference call.
        n_threads : int, optional
            onnxruntime threads; default all CPUs of the process.
        input_name, output_name : str, optional
            Tensor names; default ``images`` / ``features`` (with any import prefix).

        Raises
        ------
        deep_sort.io.InputError
            Missing file, not ``.onnx``, onnxruntime not installed, tensors not found or of other shapes.
        """
        return cls(load_image_encoder(path, "onnxruntime", batch_size, input_name, output_name, n_threads),
                   "mars")

    @classmethod
    def from_timm(
        cls,
        model_name: str,
        *,
        pretrained: bool = True,
        device: str = "auto",
        input_size: int | tuple[int, int] | None = None,
        runtime: str = "auto",
        cache_dir: str | os.PathLike[str] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        n_threads: int | None = None,
        **kwargs: Any,
    ) -> DeepSORTFeatureExtractor:
        """A timm backbone (classifier removed), with the box crop rule.

        Each box's pixels are resized to the model's input size (bilinear,
        aspect ratio not kept), turned to RGB and normalised with the model's
        mean and std; the descriptor is the pooled feature vector scaled to
        unit length. On the CPU the model is exported once to ONNX (kept in
        ``cache_dir`` under a digest of its weights, checked against torch
        to 1e-4) and run by onnxruntime; on a GPU it runs in torch.

        Parameters
        ----------
        model_name : str
            timm model name, e.g. ``"mobilenetv4_conv_small.e1200_r224_in1k"``.
        pretrained : bool
            Load timm's pretrained weights (from the Hugging Face hub, cached
            by huggingface_hub after the first download).
        device : str
            ``"auto"`` (a GPU if torch sees one, else the CPU), ``"cpu"``,
            ``"cuda"``, ``"cuda:N"``, ``"mps"``.
        input_size : int or (int, int), optional
            Patch (height, width); default the model's input size (224 x 224
            for most ImageNet models). Smaller is faster.
        runtime : {"auto", "onnxruntime", "torch"}
            ``auto``: onnxruntime on the CPU, torch on other devices.
        cache_dir : str or PathLike, optional
            Directory of the ONNX exports; default ``$XDG_CACHE_HOME/deep_sort/timm``
            (``~/.cache/deep_sort/timm``).
        batch_size : int
            Patches per inference call.
        n_threads : int, optional
            onnxruntime threads; default all CPUs of the process.
        **kwargs
            Passed to ``timm.create_model`` (e.g. ``checkpoint_path``).

        Raises
        ------
        ImportError
            torch or timm is missing: ``pip install 'deep-sort-repro[timm]'``.
        ValueError
            Unknown model or bad parameter.
        deep_sort.io.InputError
            Weights cannot be loaded; the export fails or differs from torch.
        """
        from .timm_export import load_timm_encoder

        encoder = load_timm_encoder(model_name, pretrained=pretrained, device=device, input_size=input_size,
                                    runtime=runtime, cache_dir=cache_dir, batch_size=batch_size,
                                    n_threads=n_threads, **kwargs)
        return cls(encoder, "box")

    def extract_features(self, frame: npt.NDArray[np.uint8] | None, detections: Any) -> npt.NDArray[np.float32]:
        """Descriptors of the detections of one frame (the ``trackers`` protocol).

        Parameters
        ----------
        frame : ndarray of shape (H, W, 3), uint8
            The BGR image (as OpenCV and ``supervision.process_video`` give it).
        detections : supervision.Detections
            Its ``xyxy`` (N, 4) boxes in pixels are used.

        Returns
        -------
        ndarray of shape (N, D), float32
            In detection order; all zeros for a box without pixels in the frame.

        Raises
        ------
        ValueError
            No frame, a frame that is not (H, W, 3) uint8, non-finite boxes.
        """
        if not hasattr(detections, "xyxy"):
            raise TypeError(f"detections: expected supervision.Detections, got {type(detections).__name__}")
        return self.encode_boxes(frame, detections.xyxy)

    def encode_boxes(self, frame: npt.NDArray[np.uint8] | None, boxes_xyxy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Descriptors of boxes (N, 4) ``xyxy`` in pixels; see :meth:`extract_features`."""
        image = self._check_frame(frame)
        boxes = np.asarray(boxes_xyxy, dtype=np.float64)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"boxes: expected shape (N, 4) xyxy, got {boxes.shape}")
        if not np.isfinite(boxes).all():
            row = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
            raise ValueError(f"boxes: row {row} holds NaN or infinity ({boxes[row].tolist()})")
        if self.crop_rule == "mars":
            tlwh = boxes.copy()
            tlwh[:, 2:] -= tlwh[:, :2]
            patches, valid = extract_image_patches(image, tlwh, self.input_size)
        else:
            patches, valid = extract_box_patches(image, boxes, self.input_size)
        features = np.zeros((len(boxes), self.feature_dim), np.float32)
        if len(patches):
            features[valid] = self.image_encoder(patches)
        return features

    def __call__(self, frame: npt.NDArray[np.uint8], boxes_tlwh: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Descriptors of boxes (N, 4) ``tlwh``: the encoder protocol of :class:`deep_sort.DeepSort`."""
        boxes = np.array(boxes_tlwh, dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        return self.encode_boxes(frame, boxes)

    def _check_frame(self, frame: object) -> np.ndarray:
        if frame is None:
            raise ValueError("frame: required to crop the detections for the appearance model; got None")
        if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            shape = getattr(frame, "shape", None)
            raise ValueError(f"frame: expected an (H, W, 3) uint8 BGR image, got {type(frame).__name__} "
                             f"of shape {shape} and dtype {getattr(frame, 'dtype', None)}")
        return frame

    def __repr__(self) -> str:
        return (f"DeepSORTFeatureExtractor({self.image_encoder!r}, crop_rule={self.crop_rule!r}, "
                f"input_size={self.input_size}, feature_dim={self.feature_dim})")

