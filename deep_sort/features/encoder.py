"""Run the frozen appearance network on image patches and detection boxes.

Two backends read the same frozen TensorFlow graph (``mars-small128.pb``):

- ``tensorflow``: the graph as published, in a ``tf.compat.v1.Session``.
- ``openvino``: ``openvino.convert_model`` reads the ``.pb`` directly (no
  conversion step for the user) and compiles it for the CPU.

A third one runs ONNX models (``.onnx``, e.g. an export of the same network):

- ``onnxruntime``: an ``onnxruntime.InferenceSession`` on the CPU.

Each framework is imported only when an encoder of that backend is created.
:func:`create_box_encoder` is the library entry point: it returns a callable
``encoder(image_bgr, boxes_tlwh) -> (N, 128) float32``.
"""
from __future__ import annotations

import abc
import importlib.util
import logging
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .. import extras
from ..io.errors import InputError
from ._common import first_line, import_tensorflow, native_stderr_filtered
from .patches import extract_image_patches

logger = logging.getLogger(__name__)

#: Backends of frozen graphs in order of preference for ``backend="auto"`` (fastest first).
BACKENDS = ("openvino", "tensorflow")
#: Backend of ONNX models; ``backend="auto"`` picks it for files ending in :data:`ONNX_SUFFIX`.
ONNX_BACKEND = "onnxruntime"
ONNX_SUFFIX = ".onnx"
#: numpy dtypes of the ONNX input element types an appearance model may take.
_ONNX_DTYPES = {"tensor(uint8)": np.uint8, "tensor(float)": np.float32, "tensor(double)": np.float64}
#: Default names of the graph's input and output tensors.
DEFAULT_INPUT_NAME = "images"
DEFAULT_OUTPUT_NAME = "features"
#: Default number of patches per inference call.
DEFAULT_BATCH_SIZE = 32
#: OpenVINO ``PERFORMANCE_HINT`` values, the default first (see :class:`OpenVINOEncoder`).
OPENVINO_HINTS = ("THROUGHPUT", "LATENCY")
OPENVINO_DEFAULT_HINT = OPENVINO_HINTS[0]
#: Tolerance when checking OpenVINO's simplified preprocessing against the original graph.
_REWRITE_TOLERANCE = 1e-5
# The published graph flips BGR -> RGB per image in a tf.map_fn while loop,
# whose stacked result is this node.
_MAP_FN_RESULT = "map/TensorArrayStack/TensorArrayGatherV3"


def available_backends() -> list[str]:
    """List the installed backends, fastest first (without importing them)."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def default_n_threads() -> int:
    """Number of CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not available on macOS / Windows
        return max(1, os.cpu_count() or 1)


class ImageEncoder(abc.ABC):
    """Frozen appearance network: uint8 patches in, descriptors out.

    Attributes
    ----------
    backend : str
        ``"tensorflow"``, ``"openvino"`` or ``"onnxruntime"``.
    model_path : Path
        The frozen graph (or ONNX model).
    input_name, output_name : str
        Resolved tensor names in the graph (``images:0``, ``net/features:0``, ...).
    image_shape : tuple of (int, int, int)
        Patch (height, width, channels) the network takes.
    feature_dim : int
        Descriptor length.
    batch_size : int
        Patches per inference call.
    """

    backend: str = ""

    def __init__(self, model_path: str | os.PathLike[str], batch_size: int) -> None:
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.model_path = check_model_path(model_path)
        self.batch_size = int(batch_size)
        self.input_name = self.output_name = ""
        self.image_shape: tuple[int, int, int] = (0, 0, 0)
        self.feature_dim = 0
        self._input_dtype: np.dtype = np.dtype(np.uint8)

    def __call__(self, patches: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Compute descriptors of patches, at most ``batch_size`` per inference call.

        Not thread-safe: use one encoder per thread.

        Parameters
        ----------
        patches : array-like of shape (N, height, width, channels), uint8
            BGR patches of :attr:`image_shape`.

        Returns
        -------
        ndarray of shape (N, feature_dim), float32
        """
        patches = np.asarray(patches)
        if patches.ndim != 4 or patches.shape[1:] != self.image_shape:
            raise ValueError(
                f"expected patches of shape (N,) + {self.image_shape}, got {patches.shape}"
            )
        features = np.empty((len(patches), self.feature_dim), np.float32)
        step = self._chunk_size(len(patches))
        for start in range(0, len(patches), step):

            def on_done(batch_features: np.ndarray, start: int = start) -> None:
                features[start : start + len(batch_features)] = batch_features

            self.submit(patches[start : start + step], on_done)
        self.wait()
        return features

    def _chunk_size(self, n_patches: int) -> int:
        """Patches per inference call when ``n_patches`` are encoded at once."""
        return self.batch_size

    def infer(self, patches: np.ndarray) -> npt.NDArray[np.float32]:
        """Run one inference call on an array of patches (no batching, no shape check).

        Parameters
        ----------
        patches : ndarray of shape (N, height, width, channels), uint8

        Returns
        -------
        ndarray of shape (N, feature_dim), float32
        """
        if len(patches) == 0:
            return np.zeros((0, self.feature_dim), np.float32)
        return np.asarray(self._infer(np.asarray(patches, dtype=self._input_dtype)), dtype=np.float32)

    def submit(self, patches: np.ndarray, on_done: Callable[[npt.NDArray[np.float32]], object]) -> None:
        """Start inference on one batch; ``on_done(features)`` receives the result.

        The base implementation runs synchronously and calls ``on_done``
        before returning; an asynchronous backend may call it later, from
        another thread, and blocks here while all its requests are busy.
        Call :meth:`wait` before using the results.

        Parameters
        ----------
        patches : ndarray of shape (N, height, width, channels), uint8
            One batch; the array must not be modified until ``on_done`` ran.
        on_done : callable
            Called with an ndarray of shape (N, feature_dim), float32.
        """
        on_done(self.infer(patches))

    def wait(self) -> None:
        """Block until every batch passed to :meth:`submit` is done."""

    @abc.abstractmethod
    def _infer(self, patches: np.ndarray) -> np.ndarray: ...

    def _set_signature(self, input_shape: Sequence, input_dtype, output_shape: Sequence) -> None:
        """Check the resolved tensors' shapes and remember patch shape and descriptor length."""
        input_shape, output_shape = list(input_shape), list(output_shape)
        if len(input_shape) != 4 or any(not _known(d) for d in input_shape[1:]) or input_shape[3] != 3:
            raise InputError(
                f"{self.model_path}: input tensor {self.input_name} has shape {_shape_text(input_shape)}, "
                "expected (batch, height, width, 3)"
            )
        if len(output_shape) != 2 or not _known(output_shape[1]):
            raise InputError(
                f"{self.model_path}: output tensor {self.output_name} has shape {_shape_text(output_shape)}, "
                "expected (batch, feature_dim)"
            )
        self.image_shape = (int(input_shape[1]), int(input_shape[2]), int(input_shape[3]))
        self.feature_dim = int(output_shape[1])
        self._input_dtype = np.dtype(input_dtype)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.model_path)!r}, input={self.input_name}, "
            f"output={self.output_name}, batch_size={self.batch_size})"
        )


class TensorFlowEncoder(ImageEncoder):
    """Run the frozen graph with TensorFlow (``tf.compat.v1.Session``).

    Parameters
    ----------
    model_path : str or PathLike
        Frozen GraphDef (``.pb``).
    batch_size : int
        Patches per ``session.run``.
    input_name, output_name : str, optional
        Tensor names; default ``images`` / ``features``, found with or
        without an import prefix (``net/images:0``).
    n_threads : int, optional
        Intra-op threads; default all CPUs of the process.

    Raises
    ------
    InputError
        Missing or unreadable model file, tensor names not found, unexpected shapes.
    """

    backend = "tensorflow"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        input_name: str | None = None,
        output_name: str | None = None,
        n_threads: int | None = None,
    ) -> None:
        super().__init__(model_path, batch_size)
        tf = import_tensorflow()
        graph_def = tf.compat.v1.GraphDef()
        try:
            graph_def.ParseFromString(self.model_path.read_bytes())
        except Exception as exc:  # protobuf's DecodeError, or a text file
            raise InputError(f"{self.model_path}: not a frozen TensorFlow graph ({first_line(exc)})") from None
        if not graph_def.node:
            raise InputError(f"{self.model_path}: not a frozen TensorFlow graph (no nodes)")
        placeholders = [node.name for node in graph_def.node if node.op == "Placeholder"]
        consumed = {re.sub(r":\d+$", "", name.lstrip("^")) for node in graph_def.node for name in node.input}
        sinks = [node.name for node in graph_def.node if node.name not in consumed and node.op != "NoOp"]
        all_nodes = [node.name for node in graph_def.node]
        input_node = resolve_tensor_name(
            input_name, DEFAULT_INPUT_NAME, placeholders, placeholders, "input", self.model_path
        )
        output_node = resolve_tensor_name(
            output_name, DEFAULT_OUTPUT_NAME, all_nodes, sinks, "output", self.model_path
        )
        graph = tf.Graph()
        with graph.as_default():
            try:
                tf.import_graph_def(graph_def, name="")
            except Exception as exc:  # invalid graphs fail in several TF error types
                raise InputError(f"{self.model_path}: cannot load graph ({first_line(exc)})") from None
        self._input = graph.get_tensor_by_name(input_node + ":0")
        self._output = graph.get_tensor_by_name(output_node + ":0")
        self.input_name, self.output_name = self._input.name, self._output.name
        self._set_signature(
            self._input.shape.as_list() if self._input.shape.rank is not None else [],
            self._input.dtype.as_numpy_dtype,
            self._output.shape.as_list() if self._output.shape.rank is not None else [],
        )
        n_threads = n_threads or default_n_threads()
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=int(n_threads), inter_op_parallelism_threads=1
        )
        self._session = tf.compat.v1.Session(graph=graph, config=config)

    def _infer(self, patches: np.ndarray) -> np.ndarray:
        return self._session.run(self._output, feed_dict={self._input: patches})

    def close(self) -> None:
        """Release the TensorFlow session."""
        self._session.close()


class OpenVINOEncoder(ImageEncoder):
    """Run the frozen graph with OpenVINO on the CPU.

    ``openvino.convert_model`` reads the TensorFlow ``.pb`` directly. When the
    graph flips BGR -> RGB with the published per-image ``tf.map_fn`` loop,
    the loop is replaced by an equivalent channel gather (OpenVINO runs the
    loop slowly, about 25% of the inference time); the replacement is
    checked against the unmodified graph on seeded random patches and only
    kept if the descriptors agree within 1e-5.

    Parameters
    ----------
    model_path : str or PathLike
        Frozen GraphDef (``.pb``).
    batch_size : int
        Patches per inference request.
    input_name, output_name : str, optional
        Tensor names; default ``images`` / ``features``, found with or
        without an import prefix.
    n_threads : int, optional
        ``INFERENCE_NUM_THREADS``; default all CPUs of the process.
    performance_hint : {"THROUGHPUT", "LATENCY"}
        OpenVINO ``PERFORMANCE_HINT``. THROUGHPUT (default): one stream per
        core, several requests in flight (:meth:`submit`; ``__call__``
        spreads its patches over them); on 2 cores it is as fast as LATENCY
        on an idle machine and much less slowed down by other work (the
        JPEG-decoding thread, other processes). LATENCY: one stream using all
        threads, one request at a time.
    simplify : bool
        Replace the map_fn channel flip as described above.

    Raises
    ------
    InputError
        Missing or unreadable model file, tensor names not found, unexpected shapes.
    """

    backend = "openvino"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        input_name: str | None = None,
        output_name: str | None = None,
        n_threads: int | None = None,
        performance_hint: str = OPENVINO_DEFAULT_HINT,
        simplify: bool = True,
    ) -> None:
        super().__init__(model_path, batch_size)
        if performance_hint not in OPENVINO_HINTS:
            raise ValueError(f"performance_hint must be one of {OPENVINO_HINTS}, got {performance_hint!r}")
        _disable_openvino_telemetry()
        try:
            import openvino as ov
        except ImportError as exc:
            raise extras.MissingExtraError(
                f"OpenVINO is not installed ({first_line(exc)}): {extras.install_command('features')}"
            ) from None
        self._ov = ov
        model = self._convert(None)
        input_names = [name for port in model.inputs for name in port.get_names()]
        output_names = [name for port in model.outputs for name in port.get_names()]
        input_tensor = resolve_tensor_name(
            input_name, DEFAULT_INPUT_NAME, _strip_index(input_names), _strip_index(input_names),
            "input", self.model_path,
        )
        try:
            output_tensor = resolve_tensor_name(
                output_name, DEFAULT_OUTPUT_NAME, _strip_index(output_names), _strip_index(output_names),
                "output", self.model_path,
            )
        except InputError as not_an_output:
            if output_name is None:
                raise
            # An inner tensor (not a graph output) can still be made the output.
            try:
                model = self._convert([_tensor_name(output_name)])
            except InputError:
                raise not_an_output from None
            output_tensor = _node_of(_tensor_name(output_name))
        input_port = next(p for p in model.inputs if input_tensor + ":0" in p.get_names())
        output_port = next(p for p in model.outputs if output_tensor + ":0" in p.get_names())
        # Keep only the descriptor output: the loop's Exit nodes are outputs too.
        model = ov.Model([output_port.node], model.get_parameters(), "appearance")
        self.input_name, self.output_name = input_tensor + ":0", output_tensor + ":0"
        shape = input_port.get_partial_shape()
        self._set_signature(
            [d.get_length() if d.is_static else None for d in shape] if shape.rank.is_static else [],
            input_port.get_element_type().to_dtype(),
            [d.get_length() if d.is_static else None for d in model.outputs[0].get_partial_shape()],
        )
        self.n_threads = int(n_threads or default_n_threads())
        self.performance_hint = performance_hint
        self._core = ov.Core()
        self.simplified = False
        compiled = self._compile(model)
        if simplify:
            simple_model = _replace_map_fn_flip(ov, model)
            if simple_model is not None:
                compiled_simple = self._compile(simple_model)
                difference = _max_difference(compiled, compiled_simple, self.image_shape, self._input_dtype)
                if difference <= _REWRITE_TOLERANCE:
                    compiled, self.simplified = compiled_simple, True
                else:
                    logger.info(
                        "%s: simplified BGR->RGB flip differs by %.2g from the graph; not used",
                        self.model_path, difference,
                    )
        self._compiled = compiled
        self._request = compiled.create_infer_request()
        self._async_queue = None
        if performance_hint == "THROUGHPUT":
            # Streams only run in parallel with several requests in flight.
            n_requests = max(2, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
            self._async_queue = ov.AsyncInferQueue(compiled, n_requests)
            self._async_queue.set_callback(_deliver_output)

    def _convert(self, outputs: list[str] | None):
        try:
            # OpenVINO's TensorFlow reader prints protobuf parse errors natively when it
            # probes a file; the exception that follows carries the message.
            with native_stderr_filtered():
                if outputs is None:
                    return self._ov.convert_model(str(self.model_path))
                return self._ov.convert_model(str(self.model_path), output=outputs)
        except Exception as exc:  # OpenVINO raises its own and generic errors here
            raise InputError(
                f"{self.model_path}: OpenVINO cannot read this as a frozen TensorFlow graph "
                f"({first_line(exc)})"
            ) from None

    def _compile(self, model):
        config = {
            "PERFORMANCE_HINT": self.performance_hint,
            "INFERENCE_NUM_THREADS": self.n_threads,
            # Keep float32 on CPUs where OpenVINO would default to bf16.
            "INFERENCE_PRECISION_HINT": "f32",
        }
        return self._core.compile_model(model, "CPU", config)

    def _infer(self, patches: np.ndarray) -> np.ndarray:
        return self._request.infer({0: patches})[0]

    def _chunk_size(self, n_patches: int) -> int:
        if self._async_queue is None:
            return self.batch_size
        # Spread a small set over the parallel requests instead of one full batch.
        n_requests = len(self._async_queue)
        return max(1, min(self.batch_size, -(-n_patches // n_requests)))

    def submit(self, patches: np.ndarray, on_done: Callable[[npt.NDArray[np.float32]], object]) -> None:
        if self._async_queue is None or len(patches) == 0:
            super().submit(patches, on_done)
            return
        self._async_queue.start_async({0: np.asarray(patches, dtype=self._input_dtype)}, on_done)

    def wait(self) -> None:
        if self._async_queue is not None:
            self._async_queue.wait_all()


class OnnxRuntimeEncoder(ImageEncoder):
    """Run an ONNX appearance model with onnxruntime on the CPU.

    The model takes patches [N, height, width, 3] (uint8 BGR like the frozen
    mars-small128 graph, or float) and returns descriptors [N, D].

    Parameters
    ----------
    model_path : str or PathLike
        The ``.onnx`` file.
    batch_size : int
        Patches per inference call.
    input_name, output_name : str, optional
        Tensor names; default ``images`` / ``features``, found with or
        without an import prefix (``net/images``) and a ``:0`` suffix (as
        tf2onnx exports keep them).
    n_threads : int, optional
        Intra-op threads; default all CPUs of the process.

    Raises
    ------
    InputError
        Missing file, onnxruntime not installed, not a loadable model, tensor
        names not found, unexpected shapes or element types.
    """

    backend = ONNX_BACKEND

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        batch_size: int = DEFAULT_BATCH_SIZE,
        input_name: str | None = None,
        output_name: str | None = None,
        n_threads: int | None = None,
    ) -> None:
        super().__init__(model_path, batch_size)
        try:
            import onnxruntime
        except ImportError as exc:
            raise extras.MissingExtraError(
                f"onnxruntime is not installed ({first_line(exc)}): {extras.install_command('features')}"
            ) from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(n_threads or default_n_threads())
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: the exception carries the message
        try:
            self._session = onnxruntime.InferenceSession(
                str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise InputError(
                f"{self.model_path}: onnxruntime cannot load this as an ONNX model ({first_line(exc)})"
            ) from None
        inputs = {_node_of(port.name): port for port in self._session.get_inputs()}
        outputs = {_node_of(port.name): port for port in self._session.get_outputs()}
        input_port = inputs[resolve_tensor_name(
            input_name, DEFAULT_INPUT_NAME, list(inputs), list(inputs), "input", self.model_path
        )]
        output_port = outputs[resolve_tensor_name(
            output_name, DEFAULT_OUTPUT_NAME, list(outputs), list(outputs), "output", self.model_path
        )]
        if input_port.type not in _ONNX_DTYPES:
            raise InputError(
                f"{self.model_path}: input tensor {input_port.name} has type {input_port.type}, "
                f"expected one of {', '.join(_ONNX_DTYPES)}"
            )
        self.input_name, self.output_name = input_port.name, output_port.name
        # onnxruntime reports symbolic dimensions as strings (or None).
        self._set_signature(
            [d if isinstance(d, int) else None for d in input_port.shape],
            _ONNX_DTYPES[input_port.type],
            [d if isinstance(d, int) else None for d in output_port.shape],
        )

    def _infer(self, patches: np.ndarray) -> np.ndarray:
        return self._session.run([self.output_name], {self.input_name: patches})[0]


def _disable_openvino_telemetry() -> None:
    """Keep OpenVINO's model converter from sending usage telemetry (and from its network threads).

    OpenVINO falls back to a built-in no-op stub when the ``openvino_telemetry``
    package cannot be imported; marking it unimportable for this process turns
    telemetry off without touching the user's opt-in file. Nothing changes if
    the package was imported already.
    """
    import sys

    sys.modules.setdefault("openvino_telemetry", None)


def _deliver_output(request, on_done) -> None:
    # Runs in an OpenVINO thread; the request's output buffer is reused, so copy it.
    on_done(np.array(request.get_output_tensor(0).data, dtype=np.float32))


def _replace_map_fn_flip(ov, model):
    """Return a copy of ``model`` whose map_fn BGR->RGB loop is a channel gather, or None."""
    import openvino.opset8 as ops

    model = model.clone()
    targets = [op for op in model.get_ordered_ops() if op.get_friendly_name().endswith(_MAP_FN_RESULT)]
    parameters = model.get_parameters()
    if len(targets) != 1 or len(parameters) != 1:
        return None
    target = targets[0].output(0)
    if target.get_partial_shape().rank.get_length() != 4:
        return None
    flipped = ops.gather(
        ops.convert(parameters[0], ov.Type.f32),
        ops.constant(np.array([2, 1, 0], np.int64)),
        ops.constant(np.int64(3)),
    )
    target.replace(flipped.output(0))
    return ov.Model(model.get_results(), parameters, "appearance")


def _max_difference(compiled_a, compiled_b, image_shape, dtype) -> float:
    patches = np.random.default_rng(0).integers(0, 256, (4,) + tuple(image_shape)).astype(dtype)
    a = compiled_a.create_infer_request().infer({0: patches})[0]
    b = compiled_b.create_infer_request().infer({0: patches})[0]
    return float(np.max(np.abs(a - b)))


def resolve_backend(model_path: str | os.PathLike[str], backend: str = "auto") -> str:
    """Check the model file and pick the backend that will run it, without importing any.

    Parameters
    ----------
    model_path : str or PathLike
        Frozen TensorFlow graph (``.pb``) or ONNX model (``.onnx``).
    backend : {"auto", "openvino", "tensorflow", "onnxruntime"}
        ``auto`` picks onnxruntime for a ``.onnx`` file, else the fastest
        installed one (OpenVINO, else TensorFlow).

    Returns
    -------
    str
        The backend's name.

    Raises
    ------
    InputError
        Missing model file, unknown backend, a backend that cannot read this
        kind of file; :class:`~deep_sort.extras.MissingExtraError` when the
        backend is not installed (naming the extra that provides it).
    """
    is_onnx = check_model_path(model_path).suffix.lower() == ONNX_SUFFIX
    if backend not in ("auto",) + BACKENDS + (ONNX_BACKEND,):
        raise InputError(f"unknown backend {backend!r}; choose auto, {', '.join(BACKENDS)} or {ONNX_BACKEND}")
    if backend == "auto":
        if is_onnx:
            backend = ONNX_BACKEND
        else:
            extras.require(f"running {Path(model_path).name}", extras.FROZEN_GRAPH)
            backend = available_backends()[0]
    if is_onnx and backend != ONNX_BACKEND:
        raise InputError(f"{model_path}: an ONNX model needs the {ONNX_BACKEND} backend, not {backend}")
    if backend == ONNX_BACKEND and not is_onnx:
        raise InputError(f"{model_path}: the {ONNX_BACKEND} backend reads {ONNX_SUFFIX} models only")
    extras.require(f"the {backend} backend", ("features", (backend,)))
    return backend


def load_image_encoder(
    model_path: str | os.PathLike[str],
    backend: str = "auto",
    batch_size: int = DEFAULT_BATCH_SIZE,
    input_name: str | None = None,
    output_name: str | None = None,
    n_threads: int | None = None,
    openvino_hint: str = OPENVINO_DEFAULT_HINT,
) -> ImageEncoder:
    """Load the frozen appearance network with a backend.

    Parameters
    ----------
    model_path : str or PathLike
        Frozen TensorFlow graph (``mars-small128.pb``), or an ONNX model (``.onnx``).
    backend : {"auto", "openvino", "tensorflow", "onnxruntime"}
        ``auto`` picks onnxruntime for a ``.onnx`` file, else the fastest
        installed one (OpenVINO, else TensorFlow).
    batch_size : int
        Patches per inference call.
    input_name, output_name : str, optional
        Tensor names, default ``images`` / ``features`` with or without an
        import prefix.
    n_threads : int, optional
        Threads for inference; default all CPUs of the process.
    openvino_hint : {"THROUGHPUT", "LATENCY"}
        ``PERFORMANCE_HINT`` of the openvino backend (see :class:`OpenVINOEncoder`).

    Returns
    -------
    ImageEncoder

    Raises
    ------
    InputError
        Missing model file, unknown or uninstalled backend, unreadable graph,
        tensor names not found, a backend that cannot read this kind of file.
    """
    backend = resolve_backend(model_path, backend)
    classes = {"tensorflow": TensorFlowEncoder, "openvino": OpenVINOEncoder, ONNX_BACKEND: OnnxRuntimeEncoder}
    options = {"performance_hint": openvino_hint} if backend == "openvino" else {}
    encoder = classes[backend](
        model_path, batch_size=batch_size, input_name=input_name, output_name=output_name, n_threads=n_threads,
        **options,
    )
    logger.info("appearance model: %r (%s backend)", encoder, backend)
    return encoder


class BoxEncoder:
    """Callable computing one descriptor per detection box of an image.

    A box without image pixels (see
    :func:`deep_sort.features.patches.patch_regions`) gets an all-zero
    descriptor and is counted in :attr:`n_empty_patches`.

    Attributes
    ----------
    image_encoder : ImageEncoder
        The network.
    n_empty_patches : int
        Boxes so far that had no patch.
    """

    def __init__(self, image_encoder: ImageEncoder) -> None:
        self.image_encoder = image_encoder
        self.n_empty_patches = 0

    def __call__(self, image: npt.NDArray[np.uint8], boxes_tlwh: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Compute the descriptors of the boxes of one image.

        Parameters
        ----------
        image : ndarray of shape (H, W, 3), uint8
            BGR image as read by ``cv2.imread``.
        boxes_tlwh : array-like of shape (N, 4), float
            Boxes (left, top, width, height) in pixels.

        Returns
        -------
        ndarray of shape (N, feature_dim), float32
            L2-normalised descriptors in box order; all zeros for a box
            without pixels in the image.

        Raises
        ------
        ValueError
            Image not H x W x channels uint8, boxes not (N, 4) or not finite.
        """
        image = np.asarray(image)
        channels = self.image_encoder.image_shape[2]
        if image.ndim != 3 or image.shape[2] != channels or image.dtype != np.uint8:
            raise ValueError(f"expected an H x W x {channels} uint8 image, got {image.shape} {image.dtype}")
        boxes = np.asarray(boxes_tlwh, dtype=np.float64)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"expected boxes of shape (N, 4), got {boxes.shape}")
        if not np.isfinite(boxes).all():
            raise ValueError("boxes contain NaN or infinite values")
        patches, valid = extract_image_patches(image, boxes, self.image_encoder.image_shape[:2])
        features = np.zeros((len(boxes), self.image_encoder.feature_dim), np.float32)
        features[valid] = self.image_encoder(patches)
        n_empty = int(len(boxes) - valid.sum())
        if n_empty:
            self.n_empty_patches += n_empty
            logger.debug("%d of %d boxes have no image patch; zero descriptors", n_empty, len(boxes))
        return features


def create_box_encoder(
    model_path: str | os.PathLike[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    backend: str = "auto",
    input_name: str | None = None,
    output_name: str | None = None,
    n_threads: int | None = None,
) -> BoxEncoder:
    """Load the appearance network and return ``encoder(image_bgr, boxes_tlwh)``.

    Parameters
    ----------
    model_path : str or PathLike
        Frozen TensorFlow graph (``mars-small128.pb``), or an ONNX model (``.onnx``).
    batch_size : int
        Patches per inference call.
    backend : {"auto", "openvino", "tensorflow", "onnxruntime"}
        Inference backend; ``auto`` = onnxruntime for ``.onnx``, else the fastest installed.
    input_name, output_name : str, optional
        Tensor names (default ``images`` / ``features``, any import prefix).
    n_threads : int, optional
        Inference threads; default all CPUs of the process.

    Returns
    -------
    BoxEncoder
        ``encoder(image_bgr, boxes_tlwh) -> ndarray of shape (N, 128), float32``.

    Examples
    --------
    >>> encoder = create_box_encoder("resources/networks/mars-small128.pb")  # doctest: +SKIP
    >>> image = cv2.imread("MOT16-02/img1/000001.jpg")  # doctest: +SKIP
    >>> encoder(image, [[10.0, 20.0, 30.0, 90.0]]).shape  # doctest: +SKIP
    (1, 128)
    """
    return BoxEncoder(
        load_image_encoder(model_path, backend, batch_size, input_name, output_name, n_threads)
    )


def check_model_path(model_path: str | os.PathLike[str]) -> Path:
    """Return ``model_path`` as a Path; raise InputError if it is not a file."""
    path = Path(model_path)
    if not path.exists():
        raise InputError(f"{path}: model file does not exist")
    if not path.is_file():
        raise InputError(f"{path}: model path is not a file")
    return path


def resolve_tensor_name(
    requested: str | None,
    default: str,
    names: Sequence[str],
    shown: Sequence[str],
    kind: str,
    model_path: Path,
) -> str:
    """Find a node name in a graph, allowing an import prefix (``net/images``).

    Parameters
    ----------
    requested : str, optional
        The user's name (``images``, ``images:0``, ``net/images:0``); None
        for ``default``.
    default : str
        Name used when ``requested`` is None.
    names : sequence of str
        Candidate node names (without ``:0``).
    shown : sequence of str
        Names listed in the error message when nothing matches.
    kind : {"input", "output"}
        For the error message.
    model_path : Path
        For the error message.

    Returns
    -------
    str
        The node name: an exact match, else the single name ending in ``/<name>``.

    Raises
    ------
    InputError
        No match, or several prefixed matches.
    """
    wanted = _node_of(_tensor_name(requested or default))
    if wanted in names:
        return wanted
    matches = sorted({name for name in names if name.endswith("/" + wanted)})
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise InputError(
            f"{model_path}: {kind} name {wanted!r} is ambiguous ({', '.join(matches[:4])}); "
            f"pass the full name with --{kind}_name"
        )
    listed = ", ".join(list(shown)[:5]) + (", ..." if len(shown) > 5 else "")
    raise InputError(
        f"{model_path}: no {kind} tensor named {wanted!r} (with or without prefix) in the graph "
        f"(candidates: {listed or 'none'}); pass --{kind}_name"
    )


def _tensor_name(name: str) -> str:
    return name if re.search(r":\d+$", name) else name + ":0"


def _node_of(name: str) -> str:
    name = name.lstrip("^")
    return re.sub(r":0$", "", name)


def _strip_index(names: Sequence[str]) -> list[str]:
    return [_node_of(name) for name in names if name.endswith(":0")]


def _known(dimension) -> bool:
    return dimension is not None and int(dimension) > 0


def _shape_text(shape: Sequence) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")" if shape else "unknown"
