"""Build an ONNX graph of a BERT sentence encoder straight from its safetensors weights.

Exporting through torch would make torch a run-time dependency; instead the graph is written
with ``onnx.helper`` from the architecture in ``config.json``: embeddings, N post-norm encoder
layers with exact (erf) GELU, mean pooling over the attention mask and L2 normalisation — the
sentence-transformers pipeline of all-MiniLM-L6-v2. onnxruntime fuses the LayerNorm and GELU
patterns when it loads the graph.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 17


class _GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: NDArray[np.generic]) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], **attributes: Any) -> str:
        self._count += 1
        output = f"{op_type}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output


def build_bert_encoder(model_dir: Path, output: Path) -> Path:
    """Write ``output`` (ONNX): inputs ``input_ids``/``attention_mask``, output ``embedding``."""
    config = json.loads((model_dir / "config.json").read_text())
    weights = load_file(str(model_dir / "model.safetensors"))
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    g = _GraphBuilder()

    def tensor(name: str) -> NDArray[np.float32]:
        return weights[name].astype(np.float32)

    def layer_norm(x: str, prefix: str) -> str:
        scale = g.const(prefix + ".weight", tensor(prefix + ".weight"))
        bias = g.const(prefix + ".bias", tensor(prefix + ".bias"))
        return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)

    def dense(x: str, prefix: str) -> str:
        kernel = g.const(prefix + ".kernel", tensor(prefix + ".weight").T)
        bias = g.const(prefix + ".bias", tensor(prefix + ".bias"))
        return g.op("Add", [g.op("MatMul", [x, kernel]), bias])

    i64 = np.int64
    g.const("word_embeddings", tensor("embeddings.word_embeddings.weight"))
    # Every input has token type 0, so that row is folded into the position table.
    g.const("positions", tensor("embeddings.position_embeddings.weight")
            + tensor("embeddings.token_type_embeddings.weight")[0])
    shapes = {"zero": [0], "one": [1], "two": [2], "axes_1_2": [1, 2], "last": [-1],
              "split_heads": [0, 0, heads, head_dim], "merge_heads": [0, 0, hidden]}
    for name, value in shapes.items():
        g.const(name, np.array(value, dtype=i64))
    for name, scalar in {"scale": 1 / np.sqrt(head_dim), "masked": -1e4, "one_f": 1.0,
                         "half": 0.5, "inv_sqrt2": 1 / np.sqrt(2.0), "tiny": 1e-9}.items():
        g.const(name, np.array(scalar, dtype=np.float32))

    seq_len = g.op("Slice", [g.op("Shape", ["input_ids"]), "one", "two"])
    x = g.op("Add", [g.op("Gather", ["word_embeddings", "input_ids"]),
                     g.op("Slice", ["positions", "zero", seq_len, "zero"])])
    x = layer_norm(x, "embeddings.LayerNorm")
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask_bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", ["one_f", mask]), "masked"]),
                                   "axes_1_2"])

    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}."

        def split(t: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, "split_heads"])], perm=perm)

        q = split(dense(x, p + "attention.self.query"), [0, 2, 1, 3])
        k = split(dense(x, p + "attention.self.key"), [0, 2, 3, 1])
        v = split(dense(x, p + "attention.self.value"), [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), "scale"]), mask_bias])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]),
                                   "merge_heads"])
        x = layer_norm(g.op("Add", [dense(context, p + "attention.output.dense"), x]),
                       p + "attention.output.LayerNorm")
        inner = dense(x, p + "intermediate.dense")
        gelu = g.op("Mul", [g.op("Mul", [inner, "half"]),
                            g.op("Add", [g.op("Erf", [g.op("Mul", [inner, "inv_sqrt2"])]),
                                         "one_f"])])
        x = layer_norm(g.op("Add", [dense(gelu, p + "output.dense"), x]),
                       p + "output.LayerNorm")

    mask3 = g.op("Unsqueeze", [mask, "last"])
    summed = g.op("ReduceSum", [g.op("Mul", [x, mask3]), "one"], keepdims=0)
    counts = g.op("Max", [g.op("ReduceSum", [mask3, "one"], keepdims=0), "tiny"])
    mean = g.op("Div", [summed, counts])
    g.nodes.append(helper.make_node("LpNormalization", [mean], ["embedding"], axis=-1, p=2))

    graph = helper.make_graph(
        g.nodes,
        "bert_sentence_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    output.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(output))
    return output
