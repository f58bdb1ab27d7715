// Anchors the FfnBlock vtable in the nn library.
#include "nn/ffn_block.h"
