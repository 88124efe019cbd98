// SPDX-License-Identifier: MIT
// Must NOT compile: a view of the text of a temporary would dangle once the statement ends
// (ASan: heap-use-after-free). CTest builds this and expects the deleted overload to refuse it.
#include <string_view>

#include "socklab/socket.hpp"

std::string_view received(socklab::socket& s) { return socklab::as_text(s.recv(16)); }
