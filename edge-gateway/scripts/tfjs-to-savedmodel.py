"""TF.js graph model -> TensorFlow SavedModel (frozen: weights as constants), for graph-mode
execution with tfjs-node's tf.node.loadSavedModel. Run by scripts/convert-savedmodel.sh inside a
venv that holds only PyPI's tensorflow-cpu (the same wheel the tfjs-node build uses).

  python tfjs-to-savedmodel.py <model.json> <out-dir> <input-node> <output-node>[,<output-node>...]

- The topology is a GraphDef in protobuf JSON; the weights' Const nodes get their values from the
  shards (float16-quantized weights widened to float32, exactly as TF.js does at load).
- The fused ops of TF.js's converter are split back into plain TF ops: _FusedConv2D (whose TF.js
  form lacks attributes TF's own has), FusedDepthwiseConv2dNative (TF.js only) and _FusedMatMul ->
  Conv2D / DepthwiseConv2dNative / MatMul + BiasAdd + activation; TensorFlow's graph optimizer
  (grappler's remapper) fuses them again for its own CPU kernels when the SavedModel loads.
- The input's batch dimension becomes unknown (-1) so several frames can run in one call when the
  graph allows it; the signature `serving_default` maps `images` -> the output nodes (named by
  their last path component).
Exit 0 on success; non-zero with one line naming what failed.
"""
import json
import os
import sys

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.framework import graph_pb2, node_def_pb2

ACTIVATIONS = {b"Relu": "Relu", b"Relu6": "Relu6", b"Elu": "Elu", b"Sigmoid": "Sigmoid", b"Tanh": "Tanh"}


def fail(msg):
    sys.exit(f"tfjs-to-savedmodel: {msg}")


def load_weights(model_json, base):
    """name -> numpy array, from the manifest's shards (concatenated in order)."""
    out = {}
    for group in model_json["weightsManifest"]:
        data = b"".join(open(os.path.join(base, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = spec["shape"]
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            if q is not None:
                if q.get("dtype") != "float16":
                    fail(f"weight {spec['name']}: quantization {q} is not supported (only float16)")
                arr = np.frombuffer(data, np.float16, count, offset).astype(np.float32)
                offset += 2 * count
            else:
                dt = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}.get(spec["dtype"])
                if dt is None:
                    fail(f"weight {spec['name']}: dtype {spec['dtype']} is not supported")
                arr = np.frombuffer(data, dt, count, offset)
                offset += arr.itemsize * count
            out[spec["name"]] = arr.reshape(shape)
    return out


def split_fused(node, base_op, extra_attrs):
    """Fused TF.js node -> [core op, BiasAdd, activation?]; the last keeps the node's name."""
    fused = list(node.attr["fused_ops"].list.s)
    if not fused or fused[0] != b"BiasAdd" or len(fused) > 2 or (len(fused) == 2 and fused[1] not in ACTIVATIONS):
        fail(f"node {node.name} ({node.op}): fused_ops {fused} not supported")
    core = node_def_pb2.NodeDef(name=node.name + "/core", op=base_op, input=node.input[:2])
    for k in extra_attrs:
        if k in node.attr:
            core.attr[k].CopyFrom(node.attr[k])
    bias = node_def_pb2.NodeDef(name=node.name + ("/bias" if len(fused) == 2 else ""), op="BiasAdd", input=[core.name, node.input[2]])
    bias.attr["T"].CopyFrom(node.attr["T"])
    if "data_format" in node.attr and base_op != "MatMul":
        bias.attr["data_format"].CopyFrom(node.attr["data_format"])
    nodes = [core, bias]
    if len(fused) == 2:
        act = node_def_pb2.NodeDef(name=node.name, op=ACTIVATIONS[fused[1]], input=[bias.name])
        act.attr["T"].CopyFrom(node.attr["T"])
        nodes.append(act)
    return nodes


def main():
    if len(sys.argv) != 5:
        fail("usage: tfjs-to-savedmodel.py <model.json> <out-dir> <input-node> <output-node>[,...]")
    model_path, out_dir, input_node, outputs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
    model_json = json.load(open(model_path))
    weights = load_weights(model_json, os.path.dirname(model_path))
    gd = json_format.ParseDict(model_json["modelTopology"], graph_pb2.GraphDef(), ignore_unknown_fields=True)

    nodes = []
    for n in gd.node:
        n.ClearField("device")
        if n.op == "Const" and n.name in weights:
            arr = weights.pop(n.name)
            n.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(arr))
            n.attr["dtype"].type = tf.as_dtype(arr.dtype).as_datatype_enum
        if n.op == "Placeholder" and n.name == input_node and n.attr["shape"].shape.dim:
            n.attr["shape"].shape.dim[0].size = -1
        if n.op == "_FusedConv2D":
            nodes += split_fused(n, "Conv2D", ["T", "strides", "padding", "data_format", "dilations", "explicit_paddings", "use_cudnn_on_gpu"])
        elif n.op == "FusedDepthwiseConv2dNative":
            nodes += split_fused(n, "DepthwiseConv2dNative", ["T", "strides", "padding", "data_format", "dilations", "explicit_paddings"])
        elif n.op == "_FusedMatMul":
            nodes += split_fused(n, "MatMul", ["T", "transpose_a", "transpose_b"])
        else:
            nodes.append(n)
    if weights:
        fail(f"weights with no Const node: {sorted(weights)[:5]}")
    del gd.node[:]
    gd.node.extend(nodes)

    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(gd, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        inp = graph.get_tensor_by_name(input_node + ":0")
        outs = {o.split("/")[-1]: graph.get_tensor_by_name(o + ":0") for o in outputs}
        tmp = out_dir + ".tmp"
        if os.path.exists(tmp):
            import shutil

            shutil.rmtree(tmp)
        builder = tf.compat.v1.saved_model.Builder(tmp)
        sig = tf.compat.v1.saved_model.predict_signature_def({"images": inp}, outs)
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig}, strip_default_attrs=True)
        builder.save()
    os.replace(tmp, out_dir)
    print(out_dir)


if __name__ == "__main__":
    main()
