"""mars-small128 rebuilt without tf_slim: variable names, checkpoint restore, architecture, freeze CLI."""
from __future__ import annotations

import math

import numpy as np
import pytest

from deep_sort.features import mars_small128
from deep_sort.features.mars_small128 import BN_EPSILON, RESIDUAL_BLOCKS, variable_shapes
from deep_sort.io.errors import InputError

tf_module = pytest.importorskip("tensorflow")


def test_variable_names_and_shapes_are_those_of_the_published_checkpoint():
    shapes = variable_shapes()
    expected = {
        "conv1_1/weights": (3, 3, 3, 32),
        "conv1_1/conv1_1/bn/beta": (32,),
        "conv1_2/conv1_2/bn/moving_variance": (32,),
        "conv2_1/1/weights": (3, 3, 32, 32),
        "conv2_1/1/conv2_1/1/bn/moving_mean": (32,),
        "conv2_1/2/biases": (32,),
        "conv2_3/bn/beta": (32,),
        "conv3_1/1/weights": (3, 3, 32, 64),
        "conv3_1/projection/weights": (1, 1, 32, 64),
        "conv4_3/2/weights": (3, 3, 128, 128),
        "fc1/weights": (16384, 128),
        "fc1/fc1/bn/moving_mean": (128,),
        "ball/beta": (128,),
    }
    for name, shape in expected.items():
        assert shapes[name] == shape, name
    assert "conv2_1/bn/beta" not in shapes  # the first block has no pre-activation
    assert "conv1_1/biases" not in shapes  # convolutions followed by BN have no bias
    assert not any(name.endswith("/gamma") for name in shapes)  # tf_slim BN without scale
    n_parameters = sum(math.prod(shape) for shape in shapes.values())
    assert 10.5e6 < 4 * n_parameters < 12e6  # the published graph is about 11 MB


def test_frozen_graph_has_the_published_signature(frozen_model):
    tf = tf_module
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(frozen_model.read_bytes())
    nodes = {node.name: node for node in graph_def.node}
    assert nodes["images"].op == "Placeholder"
    assert tf.dtypes.as_dtype(nodes["images"].attr["dtype"].type) == tf.uint8
    assert [d.size for d in nodes["images"].attr["shape"].shape.dim] == [-1, 128, 64, 3]
    assert "features" in nodes
    assert nodes["conv1_1/weights"].op == "Const"  # weights are frozen in, named like the checkpoint
    assert not any(node.op.startswith("Variable") for node in graph_def.node)
    assert 10.5e6 < frozen_model.stat().st_size < 12e6


def _conv_same(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """TensorFlow SAME convolution in float64, NHWC, kernel (kh, kw, in, out)."""
    from numpy.lib.stride_tricks import sliding_window_view

    kh, kw = kernel.shape[:2]
    _, height, width, _ = x.shape
    out_h, out_w = -(-height // stride), -(-width // stride)
    pad_h = max((out_h - 1) * stride + kh - height, 0)
    pad_w = max((out_w - 1) * stride + kw - width, 0)
    x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    windows = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride, ::stride][:, :out_h, :out_w]
    return np.tensordot(windows, kernel.astype(np.float64), axes=([3, 4, 5], [2, 0, 1]))


def _reference_features(weights: dict[str, np.ndarray], patches: np.ndarray) -> np.ndarray:
    """The network as SPEC.md section 6 describes it, written out in numpy (float64)."""
    from numpy.lib.stride_tricks import sliding_window_view

    def bn(x, scope):
        return (x - weights[scope + "/moving_mean"]) / np.sqrt(weights[scope + "/moving_variance"] + BN_EPSILON) \
            + weights[scope + "/beta"]

    def elu(x):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))

    x = patches[..., ::-1].astype(np.float64)  # BGR -> RGB, no scaling
    for scope in ("conv1_1", "conv1_2"):
        x = elu(bn(_conv_same(x, weights[scope + "/weights"], 1), f"{scope}/{scope}/bn"))
    x = sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, ::2].max(axis=(-2, -1))  # VALID pool
    assert x.shape[1:] == (63, 31, 32)
    for scope, channels, stride, is_first in RESIDUAL_BLOCKS:
        h = x if is_first else elu(bn(x, scope + "/bn"))
        h = elu(bn(_conv_same(h, weights[scope + "/1/weights"], stride), f"{scope}/1/{scope}/1/bn"))
        h = _conv_same(h, weights[scope + "/2/weights"], 1) + weights[scope + "/2/biases"]
        shortcut = _conv_same(x, weights[scope + "/projection/weights"], 2) if stride == 2 else x
        x = shortcut + h
    x = x.reshape(len(x), -1) @ weights["fc1/weights"].astype(np.float64)
    x = bn(elu(bn(x, "fc1/fc1/bn")), "ball")
    return x / np.sqrt(1e-8 + np.sum(x * x, axis=1, keepdims=True))


def test_graph_computes_the_specified_network(tf_encoder, random_weights):
    patches = np.random.default_rng(4).integers(0, 256, (2, 128, 64, 3)).astype(np.uint8)
    expected = _reference_features(random_weights, patches)
    np.testing.assert_allclose(tf_encoder(patches), expected, atol=1e-4)


def _save_checkpoint(tmp_path, weights, extra=True) -> str:
    """Write a TF1-style checkpoint (Saver, variable names as given) and return its prefix."""
    tf = tf_module
    graph = tf.Graph()
    with graph.as_default():
        variables = {name: tf.compat.v1.Variable(value, name=name) for name, value in weights.items()}
        if extra:  # a training checkpoint also holds the logits and the step
            variables["ball/mean_vectors"] = tf.compat.v1.Variable(np.ones((128, 4), np.float32))
            variables["global_step"] = tf.compat.v1.Variable(68577, dtype=tf.int64)
        saver = tf.compat.v1.train.Saver(var_list=variables)
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            return saver.save(session, str(tmp_path / "mars-small128.ckpt"), global_step=68577)


def test_freeze_restores_checkpoint_variables(tmp_path, capsys):
    from deep_sort.app.freeze_model import main

    weights = mars_small128.random_weights(seed=7)
    prefix = _save_checkpoint(tmp_path, weights)
    assert prefix.endswith("mars-small128.ckpt-68577")
    output = tmp_path / "out" / "mars-small128.pb"
    assert main(["--checkpoint_in", prefix, "--graphdef_out", str(output)]) == 0
    assert "wrote" in capsys.readouterr().err
    graph_def = tf_module.compat.v1.GraphDef()
    graph_def.ParseFromString(output.read_bytes())
    constants = {node.name: tf_module.make_ndarray(node.attr["value"].tensor)
                 for node in graph_def.node if node.op == "Const"}
    for name, value in weights.items():
        np.testing.assert_array_equal(constants[name], value, err_msg=name)
    # The directory form finds the same checkpoint.
    assert mars_small128.load_checkpoint_weights(tmp_path)["fc1/weights"].shape == (16384, 128)


def test_checkpoint_gamma_is_used_when_present(tmp_path):
    weights = mars_small128.random_weights(seed=8)
    weights["ball/gamma"] = np.full(128, 2.0, np.float32)
    restored = mars_small128.load_checkpoint_weights(_save_checkpoint(tmp_path, weights, extra=False))
    np.testing.assert_array_equal(restored["ball/gamma"], weights["ball/gamma"])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda w: w.pop("conv3_1/projection/weights"), "'conv3_1/projection/weights' not found"),
        (lambda w: w.update({"fc1/weights": np.zeros((100, 128), np.float32)}), "expected (16384, 128)"),
    ],
    ids=["missing variable", "wrong shape"],
)
def test_bad_checkpoint_is_a_one_line_error(tmp_path, change, message):
    weights = mars_small128.random_weights(seed=9)
    change(weights)
    prefix = _save_checkpoint(tmp_path, weights, extra=False)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        mars_small128.load_checkpoint_weights(prefix)
    assert "\n" not in str(info.value)


def test_missing_checkpoint_exit_code_and_message(tmp_path, capsys):
    from deep_sort.app.cli import run_main
    from deep_sort.app.freeze_model import main

    missing = tmp_path / "nothing.ckpt-1"
    code = run_main(main, ["--checkpoint_in", str(missing), "--graphdef_out", str(tmp_path / "x.pb")])
    assert code == 2
    assert capsys.readouterr().err == f"error: {missing}: checkpoint does not exist (expected nothing.ckpt-1.index)\n"
    assert not (tmp_path / "x.pb").exists()


def test_random_init_cli_is_seeded(tmp_path):
    from deep_sort.app.freeze_model import main

    paths = [tmp_path / name for name in ("a.pb", "b.pb", "c.pb")]
    for path, seed in zip(paths, ("1", "1", "2")):
        assert main(["--random_init", "--seed", seed, "--graphdef_out", str(path), "--quiet"]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
