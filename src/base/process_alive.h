// Whether a process runs on this machine, for files named after their writer's process ID (local store
// temporaries, spill files): only a dead writer's leftovers are removed at start. A process of another PID namespace
// (another container sharing the directory) looks dead here; its file is then removed and its write fails — an
// error, not a loss: nothing it had not made durable was confirmed.
// Thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace pgs3 {

// kill(pid, 0) succeeds, or fails with EPERM (the process runs under another user).
bool process_alive(long pid);

// The decimal process ID that starts `text` and ends at a '-' ("4711-3" → 4711); nullopt otherwise.
std::optional<long> leading_pid(std::string_view text);

}  // namespace pgs3
