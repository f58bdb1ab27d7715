// Checkpoint averaging (`moemt average`): a model whose parameters are the parameter-wise mean
// of several models of one architecture, e.g. the last MODEL.iter<update> checkpoints.
#pragma once

#include <string>
#include <vector>

namespace moemt::train {

// Writes to `out` the mean of the models in `dirs` (at least two, one config and vocabulary;
// otherwise an Error naming the file and what differs). `out` is built in a temporary folder
// beside it and swapped in atomically; an existing `out` must be a moemt model or empty, and
// may not be one of the inputs. The result holds model files only (no optimizer state).
void average_models(const std::vector<std::string>& dirs, const std::string& out);

}  // namespace moemt::train
