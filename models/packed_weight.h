// A linear weight's copy in oneDNN's blocked layout, kept for generation and remade when the weight changes.
//
// Why: oneDNN reorders a plain weight into its blocked layout on every product; a copy packed once skips that.
// A decode step multiplies a few rows by every weight of the model, where the reorder is most of the cost
// (Qwen2.5-0.5B's decode-step projections at batch 64: 86 vs 106 ms in bfloat16, 170 vs 220 in float32;
// models/onednn_linear.h), and a prefill gains too.
//
// Why keyed on the weight's identity and version: the same model generates and trains (a colocated run), and
// weight syncs, optimizer steps and LoRA merges write the parameters in place, each of which moves the tensor's
// version counter. The packed copy is used only while it is known to equal the weight, and is remade on the first
// generation step after a change (0.3 s for all of Qwen2.5-0.5B's weights).
//
// Cost: a second copy of each weight that generation packs (Qwen2.5-0.5B in bfloat16: about 1 GB, its projections
// and its tied head), held from the first generation step on.
//
// Several projections of one input (attention's q, k and v; the gated MLP's gate and up; models/fused_projections.h)
// share one copy: their weights stacked along the output rows, packed once, so that generation makes one product
// where it made several (a wider product keeps oneDNN's kernels busier at a decode step's few rows).
//
// Thread safety: get() may be called concurrently; it packs under a mutex.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/TensorImpl.h>
#include <c10/util/ArrayRef.h>
#include <c10/util/intrusive_ptr.h>

#include <cstdint>
#include <mutex>
#include <vector>

namespace spct::models {

class PackedWeight {
 public:
  // True when x W^T should read the packed copy: packing is on (set_enabled), generation (c10::InferenceMode) on
  // the CPU, x and the weight both float32 or both bfloat16, a 2-D weight of at least 256 x 256 elements that
  // tracks versions (not made inside inference mode), and onednn_linear_available(). Prefill passes too: a
  // packed weight is faster at 8192 rows as well (Qwen2.5-0.5B's MLP gate and up products with their activation
  // and product, bfloat16: 163 against 194 ms).
  static bool applies(const at::Tensor& x, const at::Tensor& weight);

  // Turns packing on (the default) or off for this process (config rollout.pack_weights): off, generation reads
  // the plain weights and holds no second copy. Copies already made stay until their weights change.
  static void set_enabled(bool enabled);

  // The packed copy of `weight`, made now if there is none or `weight` is another tensor or has been written
  // since. REQUIRES: applies(x, weight) for the product it is for.
  at::Tensor get(const at::Tensor& weight);

  // A stacked copy: the packed weight [sum of out_features, in_features] and the biases stacked the same way
  // (zeros for a weight without one; undefined when none has a bias).
  struct Stacked {
    at::Tensor weight;
    at::Tensor bias;
  };
  // The packed copy of `weights` stacked in the order given, with their `biases` (one per weight, each defined
  // or not), made now if there is none or any of them is another tensor or has been written since.
  // REQUIRES: applies(x, w) for each weight w of the product it is for; weights.size() == biases.size() >= 1.
  Stacked get(c10::ArrayRef<at::Tensor> weights, c10::ArrayRef<at::Tensor> biases);

 private:
  // A tensor the copy was made from: held weakly, so that its address is not reused while the copy is kept, and
  // its version counter then.
  struct Source {
    c10::weak_intrusive_ptr<c10::TensorImpl> tensor;
    int64_t version;
  };
  // True when sources_ are the defined ones of `weights` and then `biases`, in order, as they are now.
  bool made_from(c10::ArrayRef<at::Tensor> weights, c10::ArrayRef<at::Tensor> biases) const;

  std::mutex mutex_;
  Stacked packed_;
  std::vector<Source> sources_;
};

}  // namespace spct::models
