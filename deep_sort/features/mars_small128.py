"""The mars-small128 appearance network, rebuilt without tf_slim.

The published ``mars-small128.pb`` was frozen from a tf_slim model
(cosine metric learning, Wojke & Bewley, WACV 2018). This module describes
the same network layer by layer, with the variable names of the published
checkpoint, and builds the frozen inference graph from plain weight arrays
with ``tf.compat.v1`` ops, so that TensorFlow 2 (Keras 3, no tf_slim) can
write it.

Network, input ``images`` uint8 (N, 128, 64, 3) BGR, output ``features``
float32 (N, 128):

====================  =========================================  ==============
layer                 operation                                  output (H, W, C)
====================  =========================================  ==============
preprocessing         cast to float32, BGR -> RGB per image       128, 64, 3
                      (``tf.map_fn``, as in the published graph;
                      no scaling to [0, 1])
conv1_1               conv 3x3 SAME, BN, ELU                      128, 64, 32
conv1_2               conv 3x3 SAME, BN, ELU                      128, 64, 32
pool1                 max-pool 3x3 stride 2 VALID                  63, 31, 32
conv2_1               residual block (first: no pre-activation)    63, 31, 32
conv2_3               residual block                               63, 31, 32
conv3_1               residual block, stride 2, 1x1 projection     32, 16, 64
conv3_3               residual block                               32, 16, 64
conv4_1               residual block, stride 2, 1x1 projection     16,  8, 128
conv4_3               residual block                               16,  8, 128
fc1                   flatten (NHWC order), dense, BN, ELU        128
ball                  BN, then ``x / sqrt(1e-8 + sum(x**2))``     128
====================  =========================================  ==============

Residual block ``S`` with input ``x`` (C channels, C' = 2C when the width
doubles, else C): ``h = elu(bn(x))`` (``h = x`` for the first block),
``h = elu(bn(conv3x3(h, C', stride)))`` (``S/1``), dropout (identity at
inference), ``h = conv3x3(h, C') + bias`` (``S/2``); output ``x + h``, or
``conv1x1(x, C', stride 2, SAME, no bias) + h`` (``S/projection``) when the
width doubles. The projection reads the block input before its
pre-activation.

Batch normalisation is tf_slim's default at inference: no scale (gamma),
learned offset (beta), moving mean and variance, epsilon 1e-3. Convolutions
followed by BN have no bias. Checkpoint variable names nest the BN scope in
the layer scope, as tf_slim created them: ``conv1_1/weights``,
``conv1_1/conv1_1/bn/moving_mean``, ``conv2_3/bn/beta`` (pre-activation),
``conv2_3/1/conv2_3/1/bn/beta``, ``conv2_3/2/biases``,
``conv3_1/projection/weights``, ``fc1/weights``, ``fc1/fc1/bn/beta``,
``ball/moving_variance``. See :func:`variable_shapes` for the full list.

TensorFlow is imported inside the functions that need it.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..io.errors import InputError
from ._common import first_line, import_tensorflow

#: Input patch (height, width, channels) of the network.
PATCH_SHAPE = (128, 64, 3)
#: Length of the appearance descriptor.
FEATURE_DIM = 128
#: tf_slim's batch-norm epsilon, used by the published model.
BN_EPSILON = 1e-3
#: Added under the square root of the final L2 normalisation.
NORM_EPSILON = 1e-8
#: Names of the input placeholder and output tensor of the frozen graph.
INPUT_NAME = "images"
OUTPUT_NAME = "features"

# (scope, output channels, stride of the first convolution, is_first) per residual block.
RESIDUAL_BLOCKS = (
    ("conv2_1", 32, 1, True),
    ("conv2_3", 32, 1, False),
    ("conv3_1", 64, 2, False),
    ("conv3_3", 64, 1, False),
    ("conv4_1", 128, 2, False),
    ("conv4_3", 128, 1, False),
)
# Spatial size after conv4: 128x64 -> VALID pool 63x31 -> stride 2 32x16 -> 16x8.
_FLAT_DIM = 16 * 8 * 128
_BN_VARIABLES = ("beta", "moving_mean", "moving_variance")


def _bn_shapes(scope: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {f"{scope}/{name}": (channels,) for name in _BN_VARIABLES}


def variable_shapes() -> dict[str, tuple[int, ...]]:
    """List the inference variables of mars-small128 as named in the published checkpoint.

    Returns
    -------
    dict[str, tuple of int]
        Variable name to shape, in layer order. Convolution kernels are
        (kh, kw, in, out), the dense kernel (16384, 128). 11.2 MB as float32.
        The optional BN ``gamma`` variables (absent in the published model)
        are not listed.

    Examples
    --------
    >>> shapes = variable_shapes()
    >>> shapes["conv1_1/weights"], shapes["fc1/weights"], len(shapes)
    ((3, 3, 3, 32), (16384, 128), 68)
    """
    shapes: dict[str, tuple[int, ...]] = {}
    in_channels = PATCH_SHAPE[2]
    for scope in ("conv1_1", "conv1_2"):
        shapes[f"{scope}/weights"] = (3, 3, in_channels, 32)
        shapes.update(_bn_shapes(f"{scope}/{scope}/bn", 32))
        in_channels = 32
    for scope, channels, _, is_first in RESIDUAL_BLOCKS:
        if not is_first:
            shapes.update(_bn_shapes(f"{scope}/bn", in_channels))
        shapes[f"{scope}/1/weights"] = (3, 3, in_channels, channels)
        shapes.update(_bn_shapes(f"{scope}/1/{scope}/1/bn", channels))
        shapes[f"{scope}/2/weights"] = (3, 3, channels, channels)
        shapes[f"{scope}/2/biases"] = (channels,)
        if channels != in_channels:
            shapes[f"{scope}/projection/weights"] = (1, 1, in_channels, channels)
        in_channels = channels
    shapes["fc1/weights"] = (_FLAT_DIM, FEATURE_DIM)
    shapes.update(_bn_shapes("fc1/fc1/bn", FEATURE_DIM))
    shapes.update(_bn_shapes("ball", FEATURE_DIM))
    return shapes


def random_weights(seed: int = 0) -> dict[str, npt.NDArray[np.float32]]:
    """Draw seeded random weights of the right shapes (for tests and demos).

    Kernels are He-normal, BN statistics are chosen so that activations stay
    in a sensible range through the 16 layers. The resulting descriptors are
    unit vectors that depend on the image content, but carry no identity
    information: they are not meaningful for tracking.

    Returns
    -------
    dict[str, ndarray], float32
        Variable name to array, shapes as :func:`variable_shapes`.
    """
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in variable_shapes().items():
        leaf = name.rsplit("/", 1)[1]
        if leaf == "weights":
            fan_in = int(np.prod(shape[:-1]))
            value = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif leaf == "moving_variance":
            value = rng.uniform(0.5, 2.0, shape)
        elif leaf == "moving_mean":
            value = rng.normal(0.0, 0.1, shape)
        else:  # beta, biases
            value = rng.normal(0.0, 0.05, shape)
        weights[name] = value.astype(np.float32)
    # The first BN sees raw 0..255 pixel sums: give it statistics of that scale.
    first = weights["conv1_1/weights"]
    weights["conv1_1/conv1_1/bn/moving_mean"] = (127.5 * first.sum(axis=(0, 1, 2))).astype(np.float32)
    weights["conv1_1/conv1_1/bn/moving_variance"] = (
        (74.0**2) * np.square(first).sum(axis=(0, 1, 2))
    ).astype(np.float32)
    return weights


def check_weights(weights: Mapping[str, np.ndarray], source: str) -> None:
    """Check that ``weights`` holds every variable of :func:`variable_shapes` with its shape.

    Raises
    ------
    InputError
        Naming ``source``, the first missing variable (and how many are
        missing) or the first shape mismatch.
    """
    expected = variable_shapes()
    missing = [name for name in expected if name not in weights]
    if missing:
        raise InputError(
            f"{source}: variable {missing[0]!r} not found ({len(missing)} of {len(expected)} "
            "mars-small128 variables missing)"
        )
    for name, shape in expected.items():
        if tuple(np.shape(weights[name])) != shape:
            raise InputError(
                f"{source}: variable {name!r} has shape {tuple(np.shape(weights[name]))}, "
                f"expected {shape}"
            )
    for name, value in weights.items():
        beta = name[: -len("gamma")] + "beta"
        if name.endswith("/gamma") and beta in expected and tuple(np.shape(value)) != expected[beta]:
            raise InputError(
                f"{source}: variable {name!r} has shape {tuple(np.shape(value))}, "
                f"expected {expected[beta]}"
            )


def checkpoint_prefix(path: str | os.PathLike[str]) -> str:
    """The checkpoint prefix of ``path``, which names the prefix or one of its files (``.index``, ``.data-*``)."""
    return re.sub(r"\.(index|meta|data-\d+-of-\d+)$", "", os.fspath(path))


def check_checkpoint_path(checkpoint: str | os.PathLike[str]) -> Path:
    """Check that a checkpoint exists, without importing TensorFlow.

    Parameters
    ----------
    checkpoint : str or PathLike
        As :func:`load_checkpoint_weights` takes it: a prefix, one of the
        checkpoint's files, or a directory with a ``checkpoint`` state file.

    Returns
    -------
    Path
        ``checkpoint`` as a Path.

    Raises
    ------
    InputError
        Neither a directory with a ``checkpoint`` file nor a prefix whose
        ``.index`` file exists.
    """
    path = Path(checkpoint)
    if path.is_dir():
        if not (path / "checkpoint").is_file():
            raise InputError(f"{path}: no checkpoint in this directory (no 'checkpoint' file)")
        return path
    prefix = checkpoint_prefix(path)
    if not (Path(prefix + ".index").exists() or Path(prefix).is_file()):
        raise InputError(f"{path}: checkpoint does not exist (expected {Path(prefix).name}.index)")
    return path


def load_checkpoint_weights(checkpoint: str | os.PathLike[str]) -> dict[str, npt.NDArray[np.float32]]:
    """Read the mars-small128 variables from a TensorFlow checkpoint.

    Parameters
    ----------
    checkpoint : str or PathLike
        Checkpoint prefix (``mars-small128.ckpt-68577``, the files are
        ``PREFIX.index`` and ``PREFIX.data-*``; one of these file names is
        accepted too) or a directory holding a ``checkpoint`` state file. Written by ``tf.compat.v1.train.Saver``
        (or TF 1.x) with the variable names of :func:`variable_shapes`;
        other variables (optimizer slots, logits, global step) are ignored.
        BN ``gamma`` variables are used when present.

    Returns
    -------
    dict[str, ndarray], float32

    Raises
    ------
    InputError
        Checkpoint not found or unreadable, a variable missing or of the wrong shape.
    """
    path = check_checkpoint_path(checkpoint)
    tf = import_tensorflow()
    prefix = checkpoint_prefix(path)
    if path.is_dir():
        prefix = tf.train.latest_checkpoint(str(path))
        if prefix is None:
            raise InputError(f"{path}: no checkpoint in this directory")
    try:
        reader = tf.train.load_checkpoint(prefix)
        available = reader.get_variable_to_shape_map()
    except Exception as exc:  # TF raises several internal error types here
        raise InputError(f"{checkpoint}: cannot read checkpoint ({first_line(exc)})") from None
    wanted = list(variable_shapes())
    wanted += [
        name.rsplit("/", 1)[0] + "/gamma"
        for name in variable_shapes()
        if name.endswith("/beta") and name.rsplit("/", 1)[0] + "/gamma" in available
    ]
    weights = {
        name: np.asarray(reader.get_tensor(name), dtype=np.float32)
        for name in wanted
        if name in available
    }
    check_weights(weights, str(checkpoint))
    return weights


def build_graph_def(weights: Mapping[str, np.ndarray]):
    """Build the frozen inference graph of mars-small128 from weight arrays.

    Parameters
    ----------
    weights : mapping of str to ndarray
        As :func:`variable_shapes` (plus optional BN ``.../gamma``).

    Returns
    -------
    tf.compat.v1.GraphDef
        Input placeholder ``images`` uint8 (None, 128, 64, 3) BGR, output
        ``features`` float32 (None, 128), weights as ``Const`` nodes named
        like the checkpoint variables. The BGR -> RGB flip is a per-image
        ``tf.map_fn`` loop (TF 1 control flow) as in the published graph, so
        backends see the same structure as in the real model.
    """
    check_weights(weights, "weights")
    tf = import_tensorflow()
    v1 = tf.compat.v1
    # The published graph was frozen by TF 1.x, whose map_fn is a
    # TensorArray + Enter/Exit while loop; TF 2 would emit a functional While.
    restore_control_flow_v2 = v1.control_flow_v2_enabled()
    v1.disable_control_flow_v2()
    try:
        graph = tf.Graph()
        with graph.as_default():
            images = v1.placeholder(tf.uint8, (None,) + PATCH_SHAPE, name=INPUT_NAME)
            network = tf.map_fn(
                lambda image: image[:, :, ::-1], tf.cast(images, tf.float32)
            )
            network = _network(tf, network, weights)
            tf.identity(network, name=OUTPUT_NAME)
        return graph.as_graph_def()
    finally:
        if restore_control_flow_v2:
            v1.enable_control_flow_v2()


def _network(tf, network, weights: Mapping[str, np.ndarray]):
    def const(name):
        return tf.constant(np.asarray(weights[name], dtype=np.float32), name=name)

    def batch_norm(x, scope):
        gamma = weights.get(f"{scope}/gamma")
        scale = const(f"{scope}/gamma") if gamma is not None else None
        beta = const(f"{scope}/beta")
        mean, variance = const(f"{scope}/moving_mean"), const(f"{scope}/moving_variance")
        with tf.name_scope(scope + "/"):
            if x.shape.rank == 4:
                if scale is None:
                    scale = tf.ones_like(beta)
                y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                    x, scale, beta, mean, variance, epsilon=BN_EPSILON, is_training=False
                )
                return y
            factor = tf.math.rsqrt(variance + BN_EPSILON)
            if scale is not None:
                factor = factor * scale
            return x * factor + (beta - mean * factor)

    def conv(x, scope, stride=1):
        return tf.nn.conv2d(x, const(f"{scope}/weights"), stride, "SAME", name=f"{scope}/Conv2D")

    for scope in ("conv1_1", "conv1_2"):
        network = tf.nn.elu(batch_norm(conv(network, scope), f"{scope}/{scope}/bn"))
    network = tf.nn.max_pool2d(network, 3, 2, "VALID", name="pool1/MaxPool")
    for scope, channels, stride, is_first in RESIDUAL_BLOCKS:
        incoming = network
        if not is_first:
            network = tf.nn.elu(batch_norm(network, f"{scope}/bn"))
        network = tf.nn.elu(batch_norm(conv(network, f"{scope}/1", stride), f"{scope}/1/{scope}/1/bn"))
        network = tf.nn.bias_add(conv(network, f"{scope}/2"), const(f"{scope}/2/biases"))
        if incoming.shape[-1] != channels:
            incoming = conv(incoming, f"{scope}/projection", 2)
        network = incoming + network
    network = tf.reshape(network, (-1, _FLAT_DIM), name="Flatten/Reshape")
    network = tf.matmul(network, const("fc1/weights"), name="fc1/MatMul")
    network = tf.nn.elu(batch_norm(network, "fc1/fc1/bn"))
    network = batch_norm(network, "ball")
    norm = tf.sqrt(NORM_EPSILON + tf.reduce_sum(tf.square(network), [1], keepdims=True))
    return network / norm


def write_graph_def(graph_def, path: str | os.PathLike[str]) -> None:
    """Serialise a GraphDef to ``path`` atomically (binary protobuf, ``.pb``, same bytes for the same graph)."""
    from ..io.atomic import atomic_write

    with atomic_write(path, "wb") as handle:
        # deterministic: protobuf map fields (node attributes) are otherwise written in any order.
        handle.write(graph_def.SerializeToString(deterministic=True))
