#include "models/moe.h"

#include <ATen/TensorOperators.h>
#include <ATen/ops/tensor.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "test_models.h"

using namespace spct::models;

namespace {

const testing::OneThread one_thread;

at::Tensor matrix(std::vector<float> values, int64_t rows, int64_t cols) {
  return at::tensor(values).view({rows, cols});
}

double silu(double v) {
  return v / (1.0 + std::exp(-v));
}

// Expert e has a one-unit SwiGLU: y = down_e * silu(x . g_e) * (x . u_e).
SwiGluMlp expert(std::vector<float> g, std::vector<float> u, std::vector<float> down) {
  SwiGluMlp m;
  m.gate_proj.weight = matrix(g, 1, 2);
  m.up_proj.weight = matrix(u, 1, 2);
  m.down_proj.weight = matrix(down, 2, 1);
  return m;
}

}  // namespace

TEST_CASE("top-k routing and expert mixing by hand") {
  SparseMoe moe;
  // Router logits for x = (a, b): expert 0 -> a, expert 1 -> b, expert 2 -> 0.
  moe.gate.weight = matrix({1, 0, 0, 1, 0, 0}, 3, 2);
  moe.experts = {expert({1, 0}, {1, 1}, {1, 0}), expert({0, 1}, {1, 0}, {0, 1}), expert({1, 1}, {0, 1}, {1, 1})};
  moe.top_k = 2;
  const at::Tensor x = matrix({2, 0, 0, 1}, 2, 2);  // token 0 = (2, 0), token 1 = (0, 1)

  for (const bool norm : {true, false}) {
    moe.norm_topk_prob = norm;
    const MoeOutput out = moe.forward(x);
    // Token 0: logits (2, 0, 0) -> p = (e^2, 1, 1) / (e^2 + 2); top-2 = expert 0 and the first of the tie.
    const double z0 = std::exp(2.0) + 2.0;
    const double p00 = std::exp(2.0) / z0;
    const double p01 = 1.0 / z0;
    CHECK(out.router_probs[0][0].item<double>() == Approx(p00));
    CHECK(out.selected[0][0].item<int64_t>() == 0);
    // Token 1: logits (0, 1, 0) -> expert 1 first.
    CHECK(out.selected[1][0].item<int64_t>() == 1);
    const double w00 = norm ? p00 / (p00 + p01) : p00;
    const double w01 = norm ? p01 / (p00 + p01) : p01;
    CHECK(out.weights[0][0].item<double>() == Approx(w00));
    // Expert outputs for token 0 = (2, 0): e0 -> silu(2) * 2 * (1, 0); e1 -> silu(0) * 2 * (0, 1) = 0;
    // e2 -> silu(2) * 0 * (1, 1) = 0. So only expert 0 contributes, whichever expert won the tie.
    CHECK(out.output[0][0].item<double>() == Approx(w00 * silu(2.0) * 2.0));
    CHECK(out.output[0][1].item<double>() == Approx(0.0).margin(1e-7));
    (void)w01;
    // Token 1 = (0, 1): e1 -> silu(1) * 0 = 0; e0 -> silu(0) = 0; e2 -> silu(1) * 1 * (1, 1).
    const double z1 = 2.0 + std::exp(1.0);
    const double p11 = std::exp(1.0) / z1;
    const double p1other = 1.0 / z1;
    const int64_t second = out.selected[1][1].item<int64_t>();
    const double w_e2 = second == 2 ? (norm ? p1other / (p11 + p1other) : p1other) : 0.0;
    CHECK(out.output[1][0].item<double>() == Approx(w_e2 * silu(1.0)).margin(1e-7));
    CHECK(out.output[1][1].item<double>() == Approx(w_e2 * silu(1.0)).margin(1e-7));
  }
}

TEST_CASE("load-balancing loss by hand") {
  // Balanced choices: f = (0.5, 0.5), P = (0.55, 0.45): aux = 2 * (0.275 + 0.225) = 1.
  const at::Tensor probs = matrix({0.7f, 0.3f, 0.4f, 0.6f}, 2, 2);
  const at::Tensor balanced = at::tensor(std::vector<int64_t>{0, 1}).view({2, 1});
  CHECK(load_balancing_loss(probs, balanced, {}).item<double>() == Approx(1.0));
  // Both tokens pick expert 0: f = (1, 0): aux = 2 * 0.55 = 1.1.
  const at::Tensor collapsed = at::tensor(std::vector<int64_t>{0, 0}).view({2, 1});
  CHECK(load_balancing_loss(probs, collapsed, {}).item<double>() == Approx(1.1));
  // Masking token 1 out: only token 0 counts, f = (1, 0), P = (0.7, 0.3): aux = 1.4.
  const at::Tensor mask = at::tensor(std::vector<uint8_t>{1, 0}).to(at::kBool);
  CHECK(load_balancing_loss(probs, balanced, mask).item<double>() == Approx(1.4));
  // Uniform router with top-2 of 2 experts: aux = k = 2.
  const at::Tensor uniform = matrix({0.5f, 0.5f, 0.5f, 0.5f}, 2, 2);
  const at::Tensor both = at::tensor(std::vector<int64_t>{0, 1, 1, 0}).view({2, 2});
  CHECK(load_balancing_loss(uniform, both, {}).item<double>() == Approx(2.0));
  // Differentiable through the router probabilities: d aux / d P_e = E * f_e / N.
  const at::Tensor p = probs.clone().requires_grad_(true);
  load_balancing_loss(p, collapsed, {}).backward();
  CHECK(p.grad()[0][0].item<double>() == Approx(2.0 * 1.0 / 2.0));
  CHECK(p.grad()[0][1].item<double>() == Approx(0.0));
}

TEST_CASE("router metrics by hand") {
  const at::Tensor probs = matrix({0.5f, 0.5f, 0.0f, 0.9f, 0.1f, 0.0f, 0.2f, 0.2f, 0.6f}, 3, 3);
  const at::Tensor selected = at::tensor(std::vector<int64_t>{0, 0, 2}).view({3, 1});
  const RouterMetrics m = router_metrics(probs, selected, {});
  CHECK(m.tokens_per_expert == std::vector<int64_t>{2, 0, 1});
  CHECK(m.max_load == Approx(2.0));  // mean load 1
  CHECK(m.min_load == Approx(0.0));
  const double h0 = std::log(2.0);
  const double h1 = -(0.9 * std::log(0.9) + 0.1 * std::log(0.1));
  const double h2 = -(0.4 * std::log(0.2) + 0.6 * std::log(0.6));
  CHECK(m.entropy == Approx((h0 + h1 + h2) / 3));
  const RouterMetrics masked = router_metrics(probs, selected, at::tensor(std::vector<uint8_t>{1, 0, 1}).to(at::kBool));
  CHECK(masked.tokens_per_expert == std::vector<int64_t>{1, 0, 1});
  CHECK(masked.entropy == Approx((h0 + h2) / 2));
}
