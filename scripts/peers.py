#!/usr/bin/env python3
"""Peer benchmark: XLA (jax on CPU) and ONNX Runtime beside our Rust criterion figures.

Measures the standard activation set on the same kind of inputs as the Rust criterion
benchmark (f32, optionally f64 for XLA; n = 4096 and 4194304 elements; x ~ U[-8, 8] and
U[-100, 100]) and prints one markdown table per (type, n, range) with our columns, read from
criterion's output, beside the peers'.

Setup (outside the repository):

    python3 -m venv /work/venv
    /work/venv/bin/pip install -r scripts/requirements-peers.txt

Run it single-threaded AND pinned to one core (from the workspace root):

    taskset -c 1 /work/venv/bin/python scripts/peers.py              # full run, f32
    taskset -c 1 /work/venv/bin/python scripts/peers.py --quick      # smoke test: 4096, r8, few repeats
    taskset -c 1 /work/venv/bin/python scripts/peers.py --f64 --json /tmp/peers.json
    taskset -c 1 /work/venv/bin/python scripts/peers.py --only gelu,silu --sizes 4096 --ranges 8

(any venv with the pinned requirements works; `--pin CPU` makes the script pin itself instead.)
On a shared machine also run it under `nice -n 19`, and read the figures as noisy.

Threads: XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" and
JAX_PLATFORMS=cpu are set before jax is imported (a value already in the environment wins);
ONNX Runtime sessions use intra_op_num_threads=1, inter_op_num_threads=1, ORT_ENABLE_ALL and
sequential execution. Pinning with taskset is what really makes both single-core. jax's
asynchronous CPU dispatch is turned off (jax_cpu_enable_async_dispatch=False; --xla-async keeps
it): on one pinned core it hands every call to another thread, ~20 us more per call at n = 4096.
The per-call floor of each peer (a 1-element negation) is printed in the header.

What is measured (ns per element = median time per call / n):
  * XLA fwd:  jax.jit(f)(x), block_until_ready; Python dispatch included (it dominates at 4096).
  * XLA bwd:  one jitted function (x, dy) -> jax.vjp(f, x)[1](dy) (both grads for glu/swiglu/geglu).
  * ORT fwd:  an onnx.helper graph, run with IO binding into a preallocated output.
              ORT has no backward outside its training build, so there is no ORT bwd column.
  * memcpy:   numpy np.copyto(out, x), the baseline on the peers' side.
  * ours:     <target>/criterion/**/new/{benchmark,estimates}.json, group id
              "{activation}/{type}/{n}/r{range}", functions forward_slice, backward_slice,
              plain_loop, plain_backward_loop; group "memcpy/{type}/{n}/r{range}", function memcpy;
              median.point_estimate / n. Missing figures print as "—".
Timing: warm-up (and compilation) first, then an inner loop of k calls per sample with k chosen
so that one sample lasts a few ms, samples taken until the time budget is spent (~0.2 s per
measurement at 4096, less at 4194304, at least 5 samples); the median sample is reported.

Correctness guard: each peer's forward output on the 4096-element input is compared with a
numpy float64 evaluation of the same formula; a max of |peer - ref| / max(1, |ref|) at or above
1e-3 prints a WARNING (a wrong ONNX graph or jax function shows up there).
"""

import argparse
import glob
import json
import math
import os
import platform
import statistics
import sys
import time

# Must be set before jax is imported.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("JAX_PLATFORMS", "cpu")
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

DASH = "—"

# Our standard set, in the order of activation-dsl/src/standard.act.
ACTIVATIONS = [
    "sigmoid", "tanh", "relu", "leaky_relu", "relu6", "elu", "celu", "selu", "gelu",
    "gelu_tanh", "silu", "swish", "mish", "softplus", "softsign", "hardtanh", "hardsigmoid",
    "hardswish", "hardshrink", "softshrink", "tanhshrink", "threshold", "log_sigmoid",
    "squareplus", "snake", "identity", "glu", "swiglu", "geglu",
]
TWO_INPUT = {"glu", "swiglu", "geglu"}

SEED_X, SEED_B, SEED_DY = 0, 1, 2
DEFAULT_SIZES = [4096, 4194304]
DEFAULT_RANGES = [8, 100]


# --------------------------------------------------------------------------------------------
# numpy float64 reference (same formulas as standard.act, PyTorch's defaults)
# --------------------------------------------------------------------------------------------

def np_reference(name, x, b=None):
    import numpy as np

    x = np.asarray(x, dtype=np.float64)
    erf = np.vectorize(math.erf, otypes=[np.float64])

    def sigmoid(v):
        # stable both ways
        e = np.exp(-np.abs(v))
        return np.where(v >= 0, 1 / (1 + e), e / (1 + e))

    def softplus(v):
        return np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))

    def gelu(v):
        return 0.5 * v * (1 + erf(v / math.sqrt(2)))

    if name == "sigmoid":
        return sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.where(x > 0, x, 0.0)
    if name == "leaky_relu":
        return np.where(x > 0, x, 0.01 * x)
    if name == "relu6":
        return np.where(x <= 0, 0.0, np.where(x >= 6, 6.0, x))
    if name in ("elu", "celu"):
        return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))
    if name == "selu":
        return 1.0507009873554804934 * np.where(
            x > 0, x, 1.6732632423543772848 * np.expm1(np.minimum(x, 0))
        )
    if name == "gelu":
        return gelu(x)
    if name == "gelu_tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    if name in ("silu", "swish"):
        return x * sigmoid(x)
    if name == "mish":
        return x * np.tanh(softplus(x))
    if name == "softplus":
        return softplus(x)
    if name == "softsign":
        return x / (1 + np.abs(x))
    if name == "hardtanh":
        return np.clip(x, -1.0, 1.0)
    if name == "hardsigmoid":
        return np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, x / 6 + 0.5))
    if name == "hardswish":
        return np.where(x <= -3, 0.0, np.where(x < 3, x * (x + 3) / 6, x))
    if name == "hardshrink":
        return np.where(np.abs(x) > 0.5, x, 0.0)
    if name == "softshrink":
        return np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0))
    if name == "tanhshrink":
        return x - np.tanh(x)
    if name == "threshold":
        return np.where(x > 0, x, 0.0)
    if name == "log_sigmoid":
        return -softplus(-x)
    if name == "squareplus":
        return (x + np.sqrt(x * x + 4)) / 2
    if name == "snake":
        return x + np.sin(x) ** 2
    if name == "identity":
        return x.copy()
    b = np.asarray(b, dtype=np.float64)
    if name == "glu":
        return x * sigmoid(b)
    if name == "swiglu":
        return x * (b * sigmoid(b))
    if name == "geglu":
        return x * gelu(b)
    raise KeyError(name)


def check(tool, name, got, ref, dtype, warnings):
    import numpy as np

    got = np.asarray(got, dtype=np.float64)[: ref.shape[0]]
    if got.shape != ref.shape:
        msg = f"WARNING: {tool} {name} {dtype}: output shape {got.shape} != {ref.shape}"
        warnings.append(msg)
        print(msg, file=sys.stderr, flush=True)
        return float("inf")
    err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
    worst = float(np.max(err)) if err.size else 0.0
    if not (worst < 1e-3):  # also catches NaN
        i = int(np.nanargmax(err)) if np.isfinite(err).any() else 0
        msg = (f"WARNING: {tool} {name} {dtype}: forward differs from the float64 reference, "
               f"max rel err {worst:.3g} (at index {i}: got {got[i]!r}, ref {ref[i]!r})")
        warnings.append(msg)
        print(msg, file=sys.stderr, flush=True)
    return worst


# --------------------------------------------------------------------------------------------
# timing
# --------------------------------------------------------------------------------------------

def measure(call, budget_s, min_samples=5, max_samples=1000, sample_s=0.002, warmup=3):
    """Median seconds per call. `call` must finish its work (block) before returning."""
    for _ in range(warmup):
        call()
    # inner repeat count so that one sample lasts about sample_s; the per-call estimate is the
    # fastest of a few single calls, so one preempted call does not set k
    est = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        call()
        est = min(est, time.perf_counter() - t0)
    k = max(1, min(1 << 16, int(sample_s / max(est, 1e-9))))
    samples = []
    start = time.perf_counter()
    while len(samples) < max_samples and (
        len(samples) < min_samples or time.perf_counter() - start < budget_s
    ):
        t0 = time.perf_counter()
        for _ in range(k):
            call()
        samples.append((time.perf_counter() - t0) / k)
    return statistics.median(samples), k, len(samples)


def budget_for(n, args):
    if args.quick:
        return 0.02
    return args.budget_small if n <= 65536 else args.budget_large


# --------------------------------------------------------------------------------------------
# XLA (jax)
# --------------------------------------------------------------------------------------------

def jax_functions():
    import jax
    import jax.numpy as jnp
    nn = jax.nn

    def opt(attr, fallback):
        return getattr(nn, attr) if hasattr(nn, attr) else fallback

    mish = opt("mish", lambda x: x * jnp.tanh(nn.softplus(x)))
    squareplus = (lambda x: nn.squareplus(x, 4)) if hasattr(nn, "squareplus") else (
        lambda x: (x + jnp.sqrt(x * x + 4)) / 2)

    f = {
        "sigmoid": nn.sigmoid,
        "tanh": jnp.tanh,
        "relu": nn.relu,
        "leaky_relu": lambda x: nn.leaky_relu(x, 0.01),
        "relu6": nn.relu6,
        "elu": lambda x: nn.elu(x, 1.0),
        "celu": lambda x: nn.celu(x, 1.0),
        "selu": nn.selu,
        "gelu": lambda x: nn.gelu(x, approximate=False),
        "gelu_tanh": lambda x: nn.gelu(x, approximate=True),
        "silu": nn.silu,
        "swish": lambda x: x * nn.sigmoid(1.0 * x),
        "mish": mish,
        "softplus": nn.softplus,
        "softsign": nn.soft_sign,
        "hardtanh": nn.hard_tanh,
        "hardsigmoid": nn.hard_sigmoid,
        "hardswish": nn.hard_swish,
        "hardshrink": lambda x: jnp.where(jnp.abs(x) > 0.5, x, jnp.zeros_like(x)),
        "softshrink": lambda x: jnp.where(
            x > 0.5, x - 0.5, jnp.where(x < -0.5, x + 0.5, jnp.zeros_like(x))),
        "tanhshrink": lambda x: x - jnp.tanh(x),
        "threshold": lambda x: jnp.where(x > 0, x, jnp.zeros_like(x)),
        "log_sigmoid": nn.log_sigmoid,
        "squareplus": squareplus,
        "snake": lambda x: x + jnp.sin(x) ** 2,
        "identity": lambda x: x,
        "glu": lambda a, b: a * nn.sigmoid(b),
        "swiglu": lambda a, b: a * nn.silu(b),
        "geglu": lambda a, b: a * nn.gelu(b, approximate=False),
    }
    return f


def run_xla(name, f, inputs, dy, n, args, ref, dtype_name, warnings):
    import jax
    import numpy as np

    two = name in TWO_INPUT
    fwd = jax.jit(f)
    if two:
        bwd = jax.jit(lambda a, b, g: jax.vjp(f, a, b)[1](g))
    else:
        bwd = jax.jit(lambda x, g: jax.vjp(f, x)[1](g)[0])
    xs = [jax.device_put(v) for v in inputs]
    g = jax.device_put(dy)
    res = {}

    t0 = time.perf_counter()
    y = fwd(*xs)
    jax.block_until_ready(y)
    res["compile_fwd_s"] = time.perf_counter() - t0
    if ref is not None:
        res["check_fwd_max_rel_err"] = check("XLA", name, np.asarray(y), ref, dtype_name, warnings)
    del y
    t, k, s = measure(lambda: fwd(*xs).block_until_ready(), budget_for(n, args))
    res["fwd_ns"] = t * 1e9 / n
    res["fwd_inner"], res["fwd_samples"] = k, s

    t0 = time.perf_counter()
    jax.block_until_ready(bwd(*xs, g))
    res["compile_bwd_s"] = time.perf_counter() - t0
    t, k, s = measure(lambda: jax.block_until_ready(bwd(*xs, g)), budget_for(n, args))
    res["bwd_ns"] = t * 1e9 / n
    res["bwd_inner"], res["bwd_samples"] = k, s
    return res


# --------------------------------------------------------------------------------------------
# ONNX Runtime
# --------------------------------------------------------------------------------------------

OPSET = 20


def onnx_model(name, n, elem_type):
    """A single-node-or-small graph computing the activation on a [n] tensor (x, and b)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    npdt = np.float32 if elem_type == TensorProto.FLOAT else np.float64
    nodes, inits = [], []
    counter = [0]

    def const(v):
        counter[0] += 1
        nm = f"c{counter[0]}"
        inits.append(numpy_helper.from_array(np.array(v, dtype=npdt), nm))
        return nm

    def node(op, ins, **attrs):
        counter[0] += 1
        out = f"t{counter[0]}"
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    x = "x"
    inputs = [helper.make_tensor_value_info("x", elem_type, [n])]
    if name in TWO_INPUT:
        inputs.append(helper.make_tensor_value_info("b", elem_type, [n]))

    if name == "sigmoid":
        y = node("Sigmoid", [x])
    elif name == "tanh":
        y = node("Tanh", [x])
    elif name == "relu":
        y = node("Relu", [x])
    elif name == "leaky_relu":
        y = node("LeakyRelu", [x], alpha=0.01)
    elif name == "relu6":
        y = node("Clip", [x, const(0.0), const(6.0)])
    elif name == "elu":
        y = node("Elu", [x], alpha=1.0)
    elif name == "celu":
        y = node("Celu", [x], alpha=1.0)
    elif name == "selu":
        y = node("Selu", [x])  # defaults are PyTorch's constants rounded to f32
    elif name == "gelu":
        y = node("Gelu", [x], approximate="none")
    elif name == "gelu_tanh":
        y = node("Gelu", [x], approximate="tanh")
    elif name in ("silu", "swish"):
        y = node("Mul", [x, node("Sigmoid", [x])])
    elif name == "mish":
        y = node("Mish", [x])
    elif name == "softplus":
        y = node("Softplus", [x])
    elif name == "softsign":
        y = node("Softsign", [x])
    elif name == "hardtanh":
        y = node("Clip", [x, const(-1.0), const(1.0)])
    elif name == "hardsigmoid":
        y = node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    elif name == "hardswish":
        y = node("HardSwish", [x])
    elif name == "hardshrink":
        y = node("Shrink", [x], lambd=0.5, bias=0.0)
    elif name == "softshrink":
        y = node("Shrink", [x], lambd=0.5, bias=0.5)
    elif name == "tanhshrink":
        y = node("Sub", [x, node("Tanh", [x])])
    elif name == "threshold":
        # ThresholdedRelu is x > alpha ? x : 0 with alpha = 1 by default: not the same op.
        y = node("Where", [node("Greater", [x, const(0.0)]), x, const(0.0)])
    elif name == "log_sigmoid":
        y = node("Neg", [node("Softplus", [node("Neg", [x])])])
    elif name == "squareplus":
        s = node("Sqrt", [node("Add", [node("Mul", [x, x]), const(4.0)])])
        y = node("Mul", [node("Add", [x, s]), const(0.5)])
    elif name == "snake":
        s = node("Sin", [x])
        y = node("Add", [x, node("Mul", [s, s])])
    elif name == "identity":
        y = node("Identity", [x])
    elif name == "glu":
        y = node("Mul", [x, node("Sigmoid", ["b"])])
    elif name == "swiglu":
        y = node("Mul", [x, node("Mul", ["b", node("Sigmoid", ["b"])])])
    elif name == "geglu":
        y = node("Mul", [x, node("Gelu", ["b"], approximate="none")])
    else:
        raise KeyError(name)

    nodes.append(helper.make_node("Identity", [y], ["y"]))
    graph = helper.make_graph(
        nodes, name, inputs, [helper.make_tensor_value_info("y", elem_type, [n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = min(model.ir_version, 10)  # what ORT 1.2x/1.3x reads
    return model


def ort_session_options():
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return so


def run_ort(name, inputs, n, args, ref, dtype_name, warnings):
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto

    elem = TensorProto.FLOAT if inputs[0].dtype == np.float32 else TensorProto.DOUBLE
    model = onnx_model(name, n, elem)
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(
        model.SerializeToString(), sess_options=ort_session_options(),
        providers=["CPUExecutionProvider"])
    out = np.empty_like(inputs[0])
    io = sess.io_binding()
    names = ["x", "b"][: len(inputs)]
    for nm, v in zip(names, inputs):
        io.bind_ortvalue_input(nm, ort.OrtValue.ortvalue_from_numpy(v))
    io.bind_ortvalue_output("y", ort.OrtValue.ortvalue_from_numpy(out))
    sess.run_with_iobinding(io)
    res = {}
    if ref is not None:
        res["check_fwd_max_rel_err"] = check("ORT", name, out, ref, dtype_name, warnings)
    t, k, s = measure(lambda: sess.run_with_iobinding(io), budget_for(n, args))
    res["fwd_ns"] = t * 1e9 / n
    res["fwd_inner"], res["fwd_samples"] = k, s
    return res


def call_floors(args):
    """Microseconds per call of a 1-element negation: what a call costs before any work."""
    import numpy as np

    floors = {}
    x = np.ones(1, np.float32)
    if not args.no_xla:
        import jax

        f = jax.jit(lambda v: -v)
        xd = jax.device_put(x)
        f(xd).block_until_ready()
        floors["XLA"] = measure(lambda: f(xd).block_until_ready(), 0.1)[0] * 1e6
    if not args.no_ort:
        import onnxruntime as ort
        from onnx import TensorProto, helper

        g = helper.make_graph([helper.make_node("Neg", ["x"], ["y"])], "neg",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = min(m.ir_version, 10)
        sess = ort.InferenceSession(m.SerializeToString(), sess_options=ort_session_options(),
                                    providers=["CPUExecutionProvider"])
        out = np.empty_like(x)
        io = sess.io_binding()
        io.bind_ortvalue_input("x", ort.OrtValue.ortvalue_from_numpy(x))
        io.bind_ortvalue_output("y", ort.OrtValue.ortvalue_from_numpy(out))
        floors["ORT"] = measure(lambda: sess.run_with_iobinding(io), 0.1)[0] * 1e6
    return floors


# --------------------------------------------------------------------------------------------
# ours (criterion)
# --------------------------------------------------------------------------------------------

def read_ours(root):
    """{(group_id, function_id): ns per element} from criterion's new/ results."""
    found, skipped = {}, 0
    read_ours.skipped = 0
    if not root or not os.path.isdir(root):
        return found
    for bj in glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True):
        try:
            with open(bj) as fh:
                bench = json.load(fh)
            with open(os.path.join(os.path.dirname(bj), "estimates.json")) as fh:
                est = json.load(fh)
            gid, fid = bench["group_id"], bench.get("function_id") or ""
            median = float(est["median"]["point_estimate"])
            parts = gid.split("/")
            if len(parts) != 4 or not parts[3].startswith("r"):
                raise ValueError(gid)
            n = int(parts[2])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            skipped += 1  # not this benchmark's layout (e.g. an older one)
            continue
        found[(gid, fid.replace(" ", "_"))] = median / n
    read_ours.skipped = skipped
    return found


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------

def fmt(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return DASH
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.3f}" if v < 1 else f"{v:.2f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(args):
    import jax
    import jaxlib
    import numpy as np
    import onnx
    import onnxruntime as ort

    aff = sorted(os.sched_getaffinity(0))
    pinned = len(aff) == 1
    info = {
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "onnxruntime": ort.__version__,
        "onnx": onnx.__version__,
        "numpy": np.__version__,
        "cpu": cpu_model(),
        "online_cpus": os.cpu_count(),
        "affinity": aff,
        "pinned": pinned,
        "nice": os.nice(0),
        "loadavg": os.getloadavg(),
        "XLA_FLAGS": os.environ.get("XLA_FLAGS"),
        "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS"),
        "jax_devices": [str(d) for d in jax.devices()],
        "onnx_opset": OPSET,
    }
    print("# Peers: XLA (jax, CPU) and ONNX Runtime beside ours\n")
    print(f"- python {info['python']}, jax {info['jax']}, jaxlib {info['jaxlib']}, "
          f"onnxruntime {info['onnxruntime']}, onnx {info['onnx']} (opset {OPSET}), "
          f"numpy {info['numpy']}")
    print(f"- CPU: {info['cpu']} ({info['online_cpus']} online), affinity {aff} -> "
          f"{'pinned to one core' if pinned else 'NOT pinned (run under taskset -c N)'}, "
          f"nice {info['nice']}, loadavg {' '.join(f'{v:.2f}' for v in info['loadavg'])}")
    info["jax_cpu_enable_async_dispatch"] = bool(jax.config.values.get("jax_cpu_enable_async_dispatch", True))
    print(f"- XLA_FLAGS={info['XLA_FLAGS']!r} JAX_PLATFORMS={info['JAX_PLATFORMS']} "
          f"devices {info['jax_devices']}, async dispatch "
          f"{'on' if info['jax_cpu_enable_async_dispatch'] else 'off'}; ORT: 1 intra-op / 1 inter-op thread, ORT_ENABLE_ALL, "
          "sequential, IO binding")
    print("- ORT: forward only (ONNX Runtime has no backward outside its training build).")
    print("- ns per element = median time per call / n; XLA figures include Python dispatch; "
          "two-input activations (glu, swiglu, geglu): n elements per input, bwd returns both grads.")
    skipped = getattr(read_ours, "skipped", 0)
    print(f"- ours: {args.ours}: {args.n_ours or 'no'} criterion figures found"
          + (f", {skipped} in another layout skipped" if skipped else "")
          + ("" if args.n_ours else f" (ours print as {DASH})"))
    if not pinned:
        print("- WARNING: not pinned to one CPU; figures may mix cores and other load.")
    return info


def print_table(dtype_name, n, rng, rows, memcpy_np, ours):
    def o(name, fid):
        return ours.get((f"{name}/{dtype_name}/{n}/r{rng}", fid))

    our_memcpy = o("memcpy", "memcpy")
    print(f"## {dtype_name}, n = {n}, x ~ U[-{rng}, {rng}]  (ns/element)\n")
    cols = ["activation", "ours fwd", "XLA fwd", "ORT fwd", "plain loop fwd", "ours bwd",
            "XLA bwd", "plain loop bwd", "ours/XLA fwd", "ours/min(XLA,ORT) fwd", "ours/XLA bwd"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|")
    has_ort = any("ort" in r for _, r in rows)
    print("| " + " | ".join(["memcpy", fmt(our_memcpy), fmt(memcpy_np),
                             fmt(memcpy_np if has_ort else None)]
                            + [DASH] * 4 + [fmt(ratio(our_memcpy, memcpy_np)), DASH, DASH]) + " |")
    for name, r in rows:
        of, ob = o(name, "forward_slice"), o(name, "backward_slice")
        pf, pb = o(name, "plain_loop"), o(name, "plain_backward_loop")
        xf, xb = r.get("xla", {}).get("fwd_ns"), r.get("xla", {}).get("bwd_ns")
        rf = r.get("ort", {}).get("fwd_ns")
        peers = [v for v in (xf, rf) if v is not None]
        best = min(peers) if peers else None
        cells = [name, fmt(of), fmt(xf), fmt(rf), fmt(pf), fmt(ob), fmt(xb), fmt(pb),
                 fmt(ratio(of, xf)), fmt(ratio(of, best)), fmt(ratio(ob, xb))]
        print("| " + " | ".join(cells) + " |")
    print()
    print(f"memcpy baseline: ours (Rust) {fmt(our_memcpy)} ns/elem, numpy copyto "
          f"{fmt(memcpy_np)} ns/elem; ratio columns < 1 mean ours is faster.\n", flush=True)


def parse_list(s, conv):
    return [conv(v) for v in s.split(",") if v.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: n = 4096 and range 8 only, few repeats")
    ap.add_argument("--only", type=lambda s: parse_list(s, str.strip),
                    help="comma-separated activations")
    ap.add_argument("--sizes", type=lambda s: parse_list(s, int), help="e.g. 4096,4194304")
    ap.add_argument("--ranges", type=lambda s: parse_list(s, float),
                    help="half-widths R of U[-R, R], e.g. 8,100")
    ap.add_argument("--f64", action="store_true", help="also f64 (XLA forward/backward only)")
    ap.add_argument("--no-xla", action="store_true")
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--ours", default="/work/main/target/criterion",
                    help="criterion output directory (default %(default)s)")
    ap.add_argument("--json", metavar="OUT", help="write all raw figures here")
    ap.add_argument("--budget-small", type=float, default=0.2,
                    help="seconds per measurement at n <= 65536 (default %(default)s)")
    ap.add_argument("--budget-large", type=float, default=0.1,
                    help="seconds per measurement at larger n, at least 5 samples "
                         "(default %(default)s)")
    ap.add_argument("--xla-async", action="store_true",
                    help="keep jax's asynchronous CPU dispatch (by default it is turned off: "
                         "on one pinned core, async dispatch hands each call to another thread "
                         "and costs XLA ~20 us per call)")
    ap.add_argument("--pin", type=int, metavar="CPU",
                    help="pin this process to one CPU (instead of taskset)")
    args = ap.parse_args()

    if args.pin is not None:
        os.sched_setaffinity(0, {args.pin})
    names = args.only or ACTIVATIONS
    unknown = [v for v in names if v not in ACTIVATIONS]
    if unknown:
        ap.error(f"unknown activation(s): {', '.join(unknown)}; known: {', '.join(ACTIVATIONS)}")
    sizes = args.sizes or ([4096] if args.quick else DEFAULT_SIZES)
    ranges = args.ranges or ([8] if args.quick else DEFAULT_RANGES)
    ranges = [int(r) if float(r).is_integer() else r for r in ranges]
    dtypes = ["f32"] + (["f64"] if args.f64 else [])

    import jax
    if args.f64:
        jax.config.update("jax_enable_x64", True)
    if not args.xla_async:
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    import numpy as np

    ours = read_ours(args.ours)
    args.n_ours = len(ours)
    t_start = time.perf_counter()
    info = header(args)
    if not args.no_xla:
        jfs = jax_functions()
    floors = call_floors(args)
    info["per_call_floor_us"] = floors
    print("- per-call floor (a 1-element negation, i.e. dispatch overhead): "
          + ", ".join(f"{k} {v:.2f} us = {v * 1e3 / 4096:.2f} ns/elem at n = 4096"
                      for k, v in floors.items()) + "\n", flush=True)
    warnings = []
    results = []

    for dtype_name in dtypes:
        npdt = np.float32 if dtype_name == "f32" else np.float64
        for n in sizes:
            for rng in ranges:
                x = np.random.default_rng(SEED_X).uniform(-rng, rng, n).astype(npdt)
                b = np.random.default_rng(SEED_B).uniform(-rng, rng, n).astype(npdt)
                dy = np.random.default_rng(SEED_DY).uniform(-1, 1, n).astype(npdt)
                out = np.empty_like(x)
                t, _, _ = measure(lambda: np.copyto(out, x), budget_for(n, args))
                memcpy_np = t * 1e9 / n
                rows = []
                for name in names:
                    r = {}
                    inputs = [x, b] if name in TWO_INPUT else [x]
                    # correctness guard on the 4Ki input: the first 4096 draws of any size
                    ref = np_reference(name, x[:4096], b[:4096] if name in TWO_INPUT else None)
                    if not args.no_xla:
                        try:
                            r["xla"] = run_xla(name, jfs[name], inputs, dy, n, args, ref,
                                               dtype_name, warnings)
                        except Exception as e:  # keep going; say so
                            msg = f"WARNING: XLA {name} {dtype_name} n={n}: {type(e).__name__}: {e}"
                            warnings.append(msg)
                            print(msg, file=sys.stderr, flush=True)
                    if not args.no_ort and dtype_name == "f32":
                        try:
                            r["ort"] = run_ort(name, inputs, n, args, ref, dtype_name, warnings)
                        except Exception as e:
                            msg = f"WARNING: ORT {name} {dtype_name} n={n}: {type(e).__name__}: {e}"
                            warnings.append(msg)
                            print(msg, file=sys.stderr, flush=True)
                    rows.append((name, r))
                print_table(dtype_name, n, rng, rows, memcpy_np, ours)
                entry = {"type": dtype_name, "n": n, "range": rng, "memcpy_numpy_ns": memcpy_np,
                         "activations": {}}
                for name, r in rows:
                    gid = f"{name}/{dtype_name}/{n}/r{rng}"
                    r["ours"] = {fid: ours.get((gid, fid)) for fid in
                                 ("forward_slice", "backward_slice", "plain_loop",
                                  "plain_backward_loop")}
                    entry["activations"][name] = r
                entry["ours_memcpy_ns"] = ours.get((f"memcpy/{dtype_name}/{n}/r{rng}", "memcpy"))
                results.append(entry)

    elapsed = time.perf_counter() - t_start
    if warnings:
        print(f"{len(warnings)} warning(s):")
        for w in warnings:
            print(f"- {w}")
        print()
    print(f"total time {elapsed:.1f} s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"info": info, "seeds": {"x": SEED_X, "b": SEED_B, "dy": SEED_DY},
                       "elapsed_s": elapsed, "warnings": warnings, "results": results},
                      fh, indent=1)
        print(f"raw figures written to {args.json}")


if __name__ == "__main__":
    main()
