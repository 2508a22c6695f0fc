"""timm backbones as appearance models: created once, exported to ONNX, run by onnxruntime.

:func:`load_timm_encoder` creates a timm model without its classifier, wraps
it so that it takes what every appearance model of this package takes
(uint8 BGR patches ``[N, H, W, 3]``) and returns unit-length descriptors
``[N, D]``, and then either

- exports the wrapped model to ONNX (``torch.onnx.export``), checks the
  export against torch on random patches (largest difference of the
  descriptors at most :data:`EXPORT_TOLERANCE`), keeps it in a cache
  directory under a name that holds a digest of the weights, and runs it
  with onnxruntime (runtime ``"onnxruntime"``, the default on the CPU), or
- runs the wrapped model in torch (runtime ``"torch"``: eager mode, on any
  torch device, e.g. a GPU).

The preprocessing is part of the wrapped model, so both runtimes compute the
same thing: BGR to RGB, ``(pixel / 255 - mean) / std`` with the model's own
mean and std (``timm.data.resolve_model_data_config``), the network, L2
normalisation. torch and timm are imported when a model is loaded, never
when this module is imported.
"""
from __future__ import annotations

import contextlib
import difflib
import hashlib
import importlib.util
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..io.errors import InputError
from ._common import first_line
from .encoder import DEFAULT_BATCH_SIZE, OnnxRuntimeEncoder

logger = logging.getLogger(__name__)

#: Runtimes of :func:`load_timm_encoder`.
RUNTIMES = ("onnxruntime", "torch")
#: Largest difference allowed between the ONNX export's descriptors and torch's.
EXPORT_TOLERANCE = 1e-4
#: Bumped when the wrapped model changes, so that older cached exports are not used.
_EXPORT_VERSION = "deep_sort-timm-onnx-1"
#: What to install for this module.
_INSTALL_HINT = "pip install 'deep-sort-repro[timm]' (torch, torchvision, timm, onnxscript)"


def import_timm():
    """Import torch and timm; return ``(torch, timm)``.

    Raises
    ------
    ImportError
        One of them is not installed (the message names the extra to install),
        or torchvision does not match torch.
    """
    _load_triton_apart()
    try:
        import torch
        import timm
        import timm.data
    except ImportError as exc:
        raise ImportError(f"DeepSORTFeatureExtractor.from_timm needs torch and timm ({first_line(exc)}): "
                          f"{_INSTALL_HINT}") from None
    except RuntimeError as exc:  # torchvision's compiled ops built for another torch
        raise ImportError(f"timm cannot be imported: torchvision does not match torch ({first_line(exc)}); "
                          "install the torch and torchvision pair of one index (both from PyPI, or both "
                          "from PyTorch's CPU index)") from None
    return torch, timm


def _load_triton_apart() -> None:
    """Load triton (imported by torch when installed) so that it binds to its own symbols.

    triton and TensorFlow both carry LLVM; when TensorFlow is already loaded,
    loading triton's library crashes the process (segmentation fault) unless
    it is opened with ``RTLD_DEEPBIND``, which makes it prefer its own
    symbols. Nothing is done when TensorFlow is not loaded or triton is absent.
    """
    if ("tensorflow" not in sys.modules or "triton" in sys.modules or not hasattr(os, "RTLD_DEEPBIND")
            or importlib.util.find_spec("triton") is None):
        return
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | os.RTLD_DEEPBIND)
    try:
        import triton  # noqa: F401
    except Exception as exc:  # torch copes with a missing or broken triton by itself
        logger.debug("triton could not be loaded (%s)", first_line(exc))
    finally:
        sys.setdlopenflags(flags)


def default_cache_dir() -> Path:
    """Where exports are kept: ``$XDG_CACHE_HOME/deep_sort/timm`` (default ``~/.cache/deep_sort/timm``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "deep_sort" / "timm"


def resolve_device(torch, device: str) -> str:
    """``"auto"``: ``"cuda"`` if torch sees a GPU, else ``"mps"`` if available, else ``"cpu"``."""
    if not isinstance(device, str) or not device:
        raise ValueError(f"device: expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def input_shape(value: int | tuple[int, int] | None, model_shape: tuple[int, int]) -> tuple[int, int]:
    """The (height, width) patches are resized to: ``value``, or the model's own if None."""
    if value is None:
        return model_shape
    size = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
                                 for v in size):
        raise ValueError(f"input_size: expected a positive int or (height, width), got {value!r}")
    return int(size[0]), int(size[1])


class TorchEncoder:
    """Run a wrapped timm model in torch (eager mode) on uint8 patches.

    Same interface as :class:`deep_sort.features.encoder.ImageEncoder`:
    ``encoder(patches) -> (N, feature_dim) float32`` and the attributes
    ``image_shape``, ``feature_dim``, ``batch_size``, ``backend``.

    Parameters
    ----------
    module : torch.nn.Module
        The wrapped model (uint8 BGR ``[N, H, W, 3]`` in, ``[N, D]`` out), on ``device``.
    device : str
        torch device of ``module``.
    image_shape : tuple of (int, int, int)
        Patch (height, width, 3).
    feature_dim : int
    batch_size : int
        Patches per forward call.
    """

    backend = "torch"

    def __init__(self, module, device: str, image_shape: tuple[int, int, int], feature_dim: int,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        import torch

        self._torch = torch
        self.module = module
        self.device = device
        self.image_shape = image_shape
        self.feature_dim = feature_dim
        self.batch_size = int(batch_size)

    def __call__(self, patches: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Descriptors of patches (N, height, width, 3) uint8 BGR; shape (N, feature_dim), float32."""
        patches = np.asarray(patches, dtype=np.uint8)
        if patches.ndim != 4 or patches.shape[1:] != self.image_shape:
            raise ValueError(f"expected patches of shape (N,) + {self.image_shape}, got {patches.shape}")
        features = np.empty((len(patches), self.feature_dim), np.float32)
        with self._torch.inference_mode():
            for start in range(0, len(patches), self.batch_size):
                batch = self._torch.from_numpy(np.ascontiguousarray(patches[start:start + self.batch_size]))
                out = self.module(batch.to(self.device))
                features[start:start + len(batch)] = out.float().cpu().numpy()
        return features

    def __repr__(self) -> str:
        return f"TorchEncoder(device={self.device!r}, image_shape={self.image_shape}, batch_size={self.batch_size})"


def _wrap(torch, model, mean: tuple[float, ...], std: tuple[float, ...]):
    """The model behind uint8 BGR NHWC input and L2-normalised output (see the module docstring)."""

    class PatchModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            std_ = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
            mean_ = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
            # (x / 255 - mean) / std as one multiply-add.
            self.register_buffer("scale", 1.0 / (255.0 * std_))
            self.register_buffer("offset", -mean_ / std_)

        def forward(self, patches):
            rgb = patches.permute(0, 3, 1, 2).flip(1).to(torch.float32)
            features = self.model(rgb * self.scale + self.offset).flatten(1)
            return torch.nn.functional.normalize(features, dim=1)

    return PatchModel().eval()


def create_timm_model(torch, timm, model_name: str, pretrained: bool, create_kwargs: dict):
    """``timm.create_model`` without classifier (``num_classes=0`` unless given), in eval mode.

    Raises
    ------
    ValueError
        Unknown model name (with close matches).
    InputError
        The pretrained weights cannot be loaded (no network, no such tag, ...).
    """
    if not isinstance(model_name, str) or not model_name:
        raise ValueError(f"model_name: expected a timm model name, got {model_name!r}")
    architecture = model_name.split(".", 1)[0]
    # "hf-hub:org/name" and "local-dir:path" names are resolved by timm.create_model itself.
    if ":" not in model_name and not timm.is_model(architecture):
        close = difflib.get_close_matches(architecture, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (timm.list_models() lists them)"
        raise ValueError(f"model_name: timm has no model {model_name!r}{hint}")
    kwargs = {"num_classes": 0, **create_kwargs}
    try:
        model = timm.create_model(model_name, pretrained=pretrained, **kwargs)
    except (TypeError, ValueError) as exc:  # bad keyword arguments or values
        raise ValueError(f"timm.create_model({model_name!r}, ...): {first_line(exc)}") from None
    except Exception as exc:  # hub, file and network errors of several libraries
        raise InputError(f"timm model {model_name}: cannot load its weights ({first_line(exc)})") from None
    return model.eval()


def weights_digest(torch, module, *parts: object) -> str:
    """sha256 (hex) of ``parts`` and every tensor of ``module.state_dict()`` (names, dtypes, shapes, bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
    for name, tensor in module.state_dict().items():
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def load_timm_encoder(
    model_name: str,
    pretrained: bool = True,
    device: str = "auto",
    input_size: int | tuple[int, int] | None = None,
    runtime: str = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    n_threads: int | None = None,
    **create_kwargs: object,
):
    """Create a timm model and return an encoder of uint8 BGR patches.

    Parameters
    ----------
    model_name : str
        A timm model name, with or without a pretrained tag
        (``"mobilenetv4_conv_small.e1200_r224_in1k"``, ``"resnet18"``).
    pretrained : bool
        Load timm's pretrained weights (downloaded from the hub the first time).
    device : str
        ``"auto"`` (a GPU if torch sees one, else the CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``.
    input_size : int or (int, int), optional
        Patch (height, width); default the model's own input size.
    runtime : {"auto", "onnxruntime", "torch"}
        ``auto``: onnxruntime on the CPU, torch on any other device.
    cache_dir : str or PathLike, optional
        Where ONNX exports are kept; default :func:`default_cache_dir`.
    batch_size : int
        Patches per inference call.
    n_threads : int, optional
        onnxruntime threads; default all CPUs of the process.
    **create_kwargs
        Passed to ``timm.create_model`` (e.g. ``checkpoint_path``).

    Returns
    -------
    OnnxRuntimeEncoder or TorchEncoder
        ``encoder(patches (N, H, W, 3) uint8 BGR) -> (N, D) float32``, unit length.

    Raises
    ------
    ImportError
        torch or timm not installed.
    ValueError
        Bad parameter values, unknown model.
    InputError
        Weights cannot be loaded, or the ONNX export differs from torch.
    """
    if runtime not in ("auto", *RUNTIMES):
        raise ValueError(f"runtime: expected one of auto, {', '.join(RUNTIMES)}, got {runtime!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    torch, timm = import_timm()
    device = resolve_device(torch, device)
    if runtime == "auto":
        runtime = "onnxruntime" if device == "cpu" else "torch"
    if runtime == "onnxruntime" and device != "cpu":
        raise ValueError(f"runtime 'onnxruntime' runs on the CPU; use runtime='torch' for device {device!r}")
    model = create_timm_model(torch, timm, model_name, pretrained, create_kwargs)
    config = timm.data.resolve_model_data_config(model)
    channels, model_height, model_width = config["input_size"]
    if channels != 3:
        raise ValueError(f"model_name: {model_name} takes {channels}-channel images; only 3 (colour) is supported")
    height, width = input_shape(input_size, (model_height, model_width))
    wrapped = _wrap(torch, model, tuple(config["mean"]), tuple(config["std"]))
    image_shape = (height, width, 3)
    if runtime == "torch":
        wrapped = wrapped.to(device)
        with torch.inference_mode():
            feature_dim = int(wrapped(torch.zeros((1,) + image_shape, dtype=torch.uint8, device=device)).shape[1])
        logger.info("timm model %s: torch on %s, patches %dx%d, %d-d descriptors",
                    model_name, device, height, width, feature_dim)
        return TorchEncoder(wrapped, device, image_shape, feature_dim, batch_size)

    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = weights_digest(torch, wrapped, _EXPORT_VERSION, model_name, image_shape, torch.__version__,
                         timm.__version__)
    path = directory / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', model_name)}-{height}x{width}-{key[:16]}.onnx"
    if path.is_file():
        logger.info("timm model %s: cached ONNX export %s", model_name, path)
    else:
        export_onnx(torch, wrapped, image_shape, path)
    encoder = OnnxRuntimeEncoder(path, batch_size=batch_size, n_threads=n_threads)
    if encoder.image_shape != image_shape:
        raise InputError(f"{path}: cached export takes patches {encoder.image_shape}, expected {image_shape}; "
                         "delete the file")
    return encoder


def export_onnx(torch, wrapped, image_shape: tuple[int, int, int], path: Path) -> None:
    """Export ``wrapped`` to ``path`` (atomically) after checking it against torch.

    Raises
    ------
    InputError
        The cache directory cannot be written, the exporter fails, or the
        export's descriptors differ from torch's by more than :data:`EXPORT_TOLERANCE`.
    """
    import onnxruntime

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path.parent}: cannot create the export cache ({exc.strerror})") from None
    logger.info("timm model: exporting to ONNX once (10-30 s), cached as %s", path)
    example = torch.zeros((2,) + image_shape, dtype=torch.uint8)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with _exporter_quiet():
            program = torch.onnx.export(
                wrapped, (example,), input_names=["images"], output_names=["features"],
                dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},), dynamo=True, verbose=False,
            )
            program.save(temporary)
        patches = np.random.default_rng(0).integers(0, 256, (4,) + image_shape).astype(np.uint8)
        with torch.inference_mode():
            expected = wrapped(torch.from_numpy(patches)).numpy()
        session = onnxruntime.InferenceSession(temporary, providers=["CPUExecutionProvider"])
        actual = session.run(["features"], {"images": patches})[0]
        difference = float(np.max(np.abs(actual - expected)))
        if not difference <= EXPORT_TOLERANCE:
            raise InputError(f"the ONNX export of this model differs from torch by {difference:.2g} "
                             f"(> {EXPORT_TOLERANCE}); use runtime='torch'")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache may be shared
        os.replace(temporary, path)
    except InputError:
        raise
    except Exception as exc:  # the exporter raises many error types
        raise InputError(f"exporting the timm model to ONNX failed ({first_line(exc)}); use runtime='torch'") \
            from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


#: Loggers of the exporter's passes, which report every rewrite at INFO.
_EXPORTER_LOGGERS = ("onnxscript", "onnx_ir", "torch.onnx", "torch.export")


@contextlib.contextmanager
def _exporter_quiet() -> Iterator[None]:
    """Keep the exporter's warnings and INFO logs off the user's terminal (warnings go to DEBUG here)."""
    loggers = [logging.getLogger(name) for name in _EXPORTER_LOGGERS]
    levels = [log.level for log in loggers]
    try:
        for log in loggers:
            log.setLevel(max(log.getEffectiveLevel(), logging.WARNING))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for log, level in zip(loggers, levels):
            log.setLevel(level)
    for warning in caught:
        logger.debug("torch.onnx.export: %s", warning.message)
