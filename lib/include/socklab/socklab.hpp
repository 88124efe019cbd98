// SPDX-License-Identifier: MIT
// Umbrella header: everything socklab offers but JSON messages (socklab/json_framing.hpp, in the
// socklab::json library), which need nlohmann/json.
#pragma once

#include "socklab/address.hpp"
#include "socklab/byte_order.hpp"
#include "socklab/connection.hpp"
#include "socklab/counters.hpp"
#include "socklab/descriptors.hpp"
#include "socklab/errors.hpp"
#include "socklab/fast_paths.hpp"
#include "socklab/framing.hpp"
#include "socklab/resolve.hpp"
#include "socklab/result.hpp"
#include "socklab/selector.hpp"
#include "socklab/socket.hpp"
#include "socklab/socket_file.hpp"
#include "socklab/uring.hpp"
#include "socklab/version.hpp"
#include "socklab/vocabulary.hpp"
