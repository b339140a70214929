"""The learner's float32 products at Qwen2.5-0.5B's shape, MKL (torch.matmul) against oneDNN
(mkldnn::_linear_pointwise, what models/onednn_linear.h calls): one decoder layer's projections over 664 tokens
(a GRPO step of 8 sequences of ~83 tokens), the forward product and both backward ones (grad_x = g W,
grad_W = g^T x), median of 7 after a warm-up, 2 threads. Run with the project's venv:
    GOMP_SPINCOUNT=5000 .venv/bin/python bench/gemm/learner_shapes.py
"""
import torch, time
torch.set_num_threads(2)
T = 664
shapes = {"q/o 896x896": (896, 896), "k/v 128x896": (128, 896), "gate/up 4864x896": (4864, 896), "down 896x4864": (896, 4864)}
lp = torch.ops.mkldnn._linear_pointwise
def t(f, reps=7):
    f(); ts = []
    for _ in range(reps):
        s = time.perf_counter(); f(); ts.append(time.perf_counter() - s)
    return sorted(ts)[reps // 2] * 1e3
tot = {"mkl": 0, "onednn": 0}
for name, (o, i) in shapes.items():
    x = torch.randn(T, i); w = torch.randn(o, i); g = torch.randn(T, o)
    for what, mkl, dnn in [
        ("forward x W^T", lambda: x @ w.t(), lambda: lp(x, w, None, "none", [], "")),
        ("grad_x = g W", lambda: g @ w, lambda: lp(g, w.t(), None, "none", [], "")),
        ("grad_W = g^T x", lambda: g.t() @ x, lambda: lp(g.t(), x.t(), None, "none", [], "")),
    ]:
        a, b = t(mkl), t(dnn)
        tot["mkl"] += a; tot["onednn"] += b
        print(f"{name:18s} {what:16s} MKL {a:7.2f} ms  oneDNN {b:7.2f} ms  MKL/oneDNN {a/b:.2f}")
print("sum over the shapes above (ms):", {k: round(v, 1) for k, v in tot.items()})
