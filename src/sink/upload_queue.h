// UploadQueue: the store side of the pipeline off the replication loop's thread (DESIGN.md §1: encode -> store).
//
//   loop thread:  submit(lane, work, done) ─► queue ─► worker threads run work() (uploads, journal intents,
//                                                      checkpoint saves: anything that talks to the store)
//   loop thread:  collect() ◄── finished jobs ◄──────┘  runs each job's done(status)
//
// Lanes: jobs of one lane run one at a time, in submission order, and their done() run in that order; jobs of
// different lanes run concurrently, on up to `workers` threads. A change writer is a lane (its files must become
// durable in order: a later file adopted by recovery while an earlier one was lost would skip the earlier file's
// changes), and so is the checkpoint. done() always runs on the thread that calls collect() (the loop, which owns the
// writers and the ledger), never on a worker, so that no state but the job's own is shared with the workers.
//
// Bounds (back-pressure): full() is true when `max_jobs` jobs are submitted and not yet collected, or when the
// memory those jobs hold (the `memory_bytes` given at submit) reaches `max_memory_bytes`. The loop then stops
// reading the source (it still answers keepalives) until jobs finish. submit() itself never blocks.
//
// With `workers` 0 there are no threads: submit() runs work() and done() at once, on the caller's thread.
//
// Shutdown: the destructor (and cancel_pending()) drops the jobs that have not started — without running their done(),
// their work is never done — and waits for the running ones. Thread-safe: submit(), collect(), wait() and the
// accessors may be called from any thread, but collect() from one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"

namespace pgs3 {

struct UploadQueueOptions {
  int workers = 4;
  size_t max_jobs = 64;
  uint64_t max_memory_bytes = 256ull << 20;
};

class UploadQueue {
 public:
  using Work = std::function<Status()>;
  using Done = std::function<void(const Status&)>;

  explicit UploadQueue(UploadQueueOptions options = {});
  ~UploadQueue();
  UploadQueue(const UploadQueue&) = delete;
  UploadQueue& operator=(const UploadQueue&) = delete;

  // `lane` identifies the lane (any pointer: the writer, the ledger); `memory_bytes`: what the job holds in memory
  // until it finishes (for full()).
  void submit(const void* lane, Work work, Done done, uint64_t memory_bytes = 0);

  // Runs done() of every finished job, in the order they finished (per lane: submission order). Returns how many.
  size_t collect();
  // Waits until a job finishes that collect() has not taken yet, or `timeout` passes.
  void wait(std::chrono::milliseconds timeout);

  // Jobs submitted and not yet collected (running, waiting, or finished).
  size_t outstanding() const;
  // Jobs of `lane` submitted and not yet collected.
  size_t outstanding(const void* lane) const;
  uint64_t memory_bytes() const;
  bool full() const;
  // Drops the jobs that have not started (their done() never runs).
  void cancel_pending();

 private:
  struct Job {
    const void* lane = nullptr;
    Work work;
    Done done;
    uint64_t memory_bytes = 0;
    Status result;
  };
  void worker();
  // A job leaves the counts (collected or dropped). Must hold mu_.
  void forget(const Job& job);
  // The first waiting job whose lane is idle, or end(). Must hold mu_.
  std::deque<Job>::iterator next_runnable();

  UploadQueueOptions options_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a job to run, or stopping
  std::condition_variable done_cv_;  // a job finished
  std::deque<Job> waiting_;
  std::deque<Job> finished_;
  std::map<const void*, size_t> outstanding_by_lane_;
  std::map<const void*, bool> lane_busy_;
  size_t outstanding_ = 0;
  uint64_t memory_bytes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pgs3
