#!/usr/bin/env bash
# A bfloat16 policy trained by 2 learners on 5 real MPI ranks: the learners average their bf16 gradients (in
# float32 buckets, distributed/grad_sync.h), hold identical weights after every step (run.verify_learner_sync
# stops the run otherwise), the loss is finite, and the exported model is still bfloat16. The weight sync sends
# the bf16 compute weights, not the learners' float32 masters: sync/weight_bytes is 2 bytes a parameter, half of
# what float32 would take (distributed/weight_sync.h).
set -uo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeout 600 "$SPCT_BINARY" train "$SPCT_SOURCE_DIR/configs/grpo_add.yaml" run.dir="$work" run.name=bf16 \
  run.steps=4 layout.learners=2 run.verify_learner_sync=true model.dtype=bfloat16 > "$work/log" 2>&1
rc=$?
[[ $rc -eq 0 ]] || { tail -30 "$work/log"; echo "FAIL: spct train exited $rc"; exit 1; }
python3 - "$work/bf16" <<'PY'
import json, math, struct, sys
run = sys.argv[1]
steps = [json.loads(line) for line in open(f"{run}/metrics.jsonl")]
fail = []
if len(steps) != 4: fail.append(f"expected 4 steps, got {len(steps)}")
if any(m.get("learner/weights_in_sync") != 1 for m in steps): fail.append("learner weights not verified in sync")
if not all(math.isfinite(m["loss/total"]) for m in steps): fail.append("a non-finite loss")
with open(f"{run}/model/model.safetensors", "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
dtypes = {v["dtype"] for k, v in header.items() if k != "__metadata__"}
if dtypes != {"BF16"}: fail.append(f"exported dtypes {sorted(dtypes)}, expected BF16")
params = sum(math.prod(v["shape"]) for k, v in header.items() if k != "__metadata__")
synced = {m.get("sync/weight_bytes") for m in steps}
if synced != {2.0 * params}:
    fail.append(f"sync/weight_bytes {sorted(synced)}, want 2 bytes for each of the {params} parameters "
                f"(float32 would be {4 * params})")
for f in fail: print("FAIL:", f)
print(f"{len(steps)} steps, exported dtypes {sorted(dtypes)}, {params} parameters synced in {sorted(synced)} bytes; "
      f"{'passed' if not fail else 'failed'}")
sys.exit(1 if fail else 0)
PY
