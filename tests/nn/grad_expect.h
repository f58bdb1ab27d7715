// Shared helper of the nn layer tests: a finite-difference check with a stated tolerance.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "nn/gradcheck.h"

namespace moemt::nn::testing {

// f32 layers checked with central differences (eps 1e-2) and a double-accumulated loss agree
// to about 1e-3 relative; 2e-2 leaves room for curvature without hiding wrong gradients.
inline void expect_grad(const std::function<double()>& loss, Tensor target, const Tensor& analytic,
                        const std::string& what, double rel_tol = 2e-2, int checks = 24,
                        float eps = 1e-2f) {
  GradCheckResult r = grad_check(loss, target, analytic, checks, eps);
  EXPECT_LT(r.max_rel_err, rel_tol)
      << what << ": " << r.worst << " (max abs err " << r.max_abs_err << ")";
}

}  // namespace moemt::nn::testing
