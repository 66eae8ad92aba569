// Byte counts as text for people (log lines, preflight details, `pgs3 status`), in binary (IEC) units.
// Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace pgs3 {

// "512 B", "1.5 KiB", "12.3 MiB", ... up to TiB: whole bytes below 1 KiB, one decimal above.
std::string human_bytes(uint64_t bytes);

}  // namespace pgs3
