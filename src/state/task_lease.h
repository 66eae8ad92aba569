// TaskLease: at most one process writes a task's target at a time (DESIGN.md §3, invariant 7).
//
// The lease is the object "<prefix>lease.json" beside the checkpoint, and it is only ever written with conditional
// writes (ObjectStore::put_if: S3's If-Match / If-None-Match, an flock'd compare-and-rename in a directory), so two
// processes can never both believe they wrote the same version. It holds
//   {generation, holder: {host, pid, boot, started, token}, since, duration_s, renewals, released}.
//
// acquire() reads it. The lease is free when it is absent, released by a clean stop, expired (not rewritten for
// duration_s, by the store's own clock: VersionedObject::age), or held by a process of this machine that is gone
// (same host name and boot, and its PID is dead or now belongs to a process started at another time). A free lease
// is rewritten with generation + 1 and this process as holder, conditional on the version read: of two processes
// that race for it, one fails. A lease that is not free fails with kConflict (exit 2) naming the holder: host, PID,
// since when, when it was last renewed, when it expires.
//
// Holding. A thread rewrites the lease every duration_s / 4, conditional on the version this process last wrote.
// check() — called before every change to the target (store/guarded_store.h) — is ok while the last renewal that
// succeeded was sent less than duration_s - margin ago by this process's monotonic clock (margin: a sixth of the
// duration, at least 2 s, for the store's whole-second clock). A successor only takes over once the store has not
// seen a renewal for duration_s, so the holder stops writing before a successor may start. Past that point check()
// renews in place: success means no successor took over (the version is still ours) and writing goes on; a process
// paused (SIGSTOP, a VM freeze) past its lease thus finds, when it wakes, that a successor wrote a new version:
// check() then fails with kConflict for good and the task stops without writing. A renewal that cannot reach the
// store is retried; check() fails with kUnavailable while the lease is stale for that reason.
//
// The generation is the fencing token: the checkpoint records the generation that last saved it, and a journal
// intent the generation that wrote it (state/recovery.h discards intents of older generations: a fenced process
// wrote them after its successor's recovery).
//
// release() (a clean stop) writes the lease as released, so the next start takes it at once.
//
// Why an object in the target and not a PostgreSQL advisory lock held by the replication session: what must be
// fenced is writing to the target, and the target is the one place both processes must reach to do harm. An
// advisory lock lives on the source: a process cut off from PostgreSQL but not from S3 (a partition, a failover that
// ends the session) loses the lock without knowing and may keep uploading, and a lock cannot make the checkpoint
// save conditional. The lease's generation, recorded in the checkpoint and the journal, also lets recovery tell a
// fenced process's files.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/status.h"
#include "store/object_store.h"

namespace pgs3 {

// Who holds a lease: enough to tell a person (host, PID, since) and to tell whether a holder on this machine still
// runs (boot id, process start time in clock ticks since boot).
struct LeaseHolder {
  std::string host;
  int64_t pid = 0;
  std::string boot;      // /proc/sys/kernel/random/boot_id
  uint64_t started = 0;  // /proc/<pid>/stat starttime
  std::string token;     // random: tells this process's versions from another's with the same PID
  bool operator==(const LeaseHolder&) const = default;
};

struct LeaseRecord {
  uint64_t generation = 0;
  LeaseHolder holder;
  std::string since;  // UTC, when the holder took the lease
  int64_t duration_s = 0;
  uint64_t renewals = 0;
  bool released = false;
};

std::string lease_to_json(const LeaseRecord& record);
Result<LeaseRecord> parse_lease(const std::string& text, const std::string& where);

// This process as a lease holder (a fresh token on each call).
LeaseHolder this_process_holder();
// Whether `holder` may still run: false only when it is known to be gone (this machine's host name and boot, and
// no process with its PID and start time).
bool holder_may_run(const LeaseHolder& holder);

// Why a lease may or may not be taken. `age`: how long ago it was last written, by the store's clock.
struct LeaseVerdict {
  bool free = false;
  std::string why;  // for the log when free ("expired 75 s ago", "its holder is gone"), the refusal otherwise
};
LeaseVerdict judge_lease(const LeaseRecord& current, std::chrono::seconds age,
                         const std::function<bool(const LeaseHolder&)>& may_run);

// A task's lease object as read now, and what it means.
struct LeaseState {
  LeaseRecord record;
  std::string etag;
  std::chrono::seconds age{0};  // since it was last written, by the store's clock
  LeaseVerdict verdict;         // free: a start would take it
};

class TaskLease {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kDefaultDuration{120};

  // "<prefix>lease.json"; `prefix` is task_state_prefix() (ends with '/').
  static std::string object_key(const std::string& prefix);

  // The lease of the task whose state is under `prefix`, as it is now (nullopt: none); for `pgs3 status` and
  // `pgs3 drop`. Writes nothing.
  static Result<std::optional<LeaseState>> inspect(ObjectStore& store, const std::string& prefix);
  // Ok when the lease of the task whose state is under `prefix` could be taken now; kConflict naming the holder when
  // another process holds it. Writes nothing: a start refuses early, before checks that would wait on the source.
  static Status peek(ObjectStore& store, const std::string& prefix, const std::string& task);
  // Takes the lease of the task whose state is under `prefix` (see the file comment) and starts renewing it.
  // `task` names the task in messages. `store` must outlive the lease.
  static Result<std::unique_ptr<TaskLease>> acquire(ObjectStore& store, const std::string& prefix,
                                                    const std::string& task, std::chrono::seconds duration);
  ~TaskLease();  // stops renewing (without releasing: see release())
  TaskLease(const TaskLease&) = delete;
  TaskLease& operator=(const TaskLease&) = delete;

  // Ok while this process may write the task's target (see the file comment).
  Status check();
  // Raises the generation to at least `generation` (a checkpoint recorded a newer one: the lease object was removed
  // and recreated since). Conditional like a renewal.
  Status raise_generation(uint64_t generation);
  // Stops renewing and writes the lease as released. Idempotent.
  Status release();

  uint64_t generation() const;
  const std::string& task() const { return task_; }

 private:
  TaskLease(ObjectStore& store, std::string key, std::string task, std::chrono::seconds duration, LeaseRecord record,
            std::string etag, Clock::time_point sent);
  // Rewrites the lease (renewals + 1). Must hold mu_.
  Status rewrite_locked(bool released);
  void renew_loop();
  std::chrono::seconds margin() const;

  ObjectStore& store_;
  const std::string key_;
  const std::string task_;
  const std::chrono::seconds duration_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  LeaseRecord record_;               // as last written
  std::string etag_;                 // its version
  Clock::time_point valid_from_;     // when the last successful write was sent
  std::optional<std::string> lost_;  // set when another process took the lease over: why
  std::string last_error_;           // the last failed renewal, while it keeps failing
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace pgs3
