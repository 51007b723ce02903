// Every layer header (cairn/cairn.h includes this). A test checks that each header in
// include/cairn/layers/ is listed here.
#pragma once

#include "cairn/layers/activation.h"
#include "cairn/layers/activation_layers.h"
#include "cairn/layers/batch_normalization.h"
#include "cairn/layers/conv1d.h"
#include "cairn/layers/conv2d.h"
#include "cairn/layers/dense.h"
#include "cairn/layers/dropout.h"
#include "cairn/layers/elementwise_merge.h"
#include "cairn/layers/embedding.h"
#include "cairn/layers/flatten.h"
#include "cairn/layers/global_pooling.h"
#include "cairn/layers/gru.h"
#include "cairn/layers/layer.h"
#include "cairn/layers/layer_normalization.h"
#include "cairn/layers/lstm.h"
#include "cairn/layers/max_pooling1d.h"
#include "cairn/layers/max_pooling2d.h"
#include "cairn/layers/merge.h"
#include "cairn/layers/reshaping.h"
#include "cairn/layers/simple_rnn.h"
