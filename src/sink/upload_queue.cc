#include "sink/upload_queue.h"

#include <algorithm>

namespace pgs3 {

UploadQueue::UploadQueue(UploadQueueOptions options) : options_(options) {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
}

UploadQueue::~UploadQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cancel_pending();
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void UploadQueue::submit(const void* lane, Work work, Done done, uint64_t memory_bytes) {
  if (threads_.empty()) {
    Status st = work();
    done(st);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.push_back(Job{lane, std::move(work), std::move(done), memory_bytes, Status::ok()});
    ++outstanding_;
    ++outstanding_by_lane_[lane];
    memory_bytes_ += memory_bytes;
  }
  work_cv_.notify_all();
}

void UploadQueue::forget(const Job& job) {
  --outstanding_;
  if (--outstanding_by_lane_[job.lane] == 0) outstanding_by_lane_.erase(job.lane);
  memory_bytes_ -= job.memory_bytes;
}

std::deque<UploadQueue::Job>::iterator UploadQueue::next_runnable() {
  return std::find_if(waiting_.begin(), waiting_.end(), [this](const Job& j) { return !lane_busy_[j.lane]; });
}

void UploadQueue::worker() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || next_runnable() != waiting_.end(); });
    if (stopping_) return;
    auto it = next_runnable();
    Job job = std::move(*it);
    waiting_.erase(it);
    lane_busy_[job.lane] = true;
    lock.unlock();
    job.result = job.work();
    job.work = nullptr;  // drops what the work captured before the loop collects it
    lock.lock();
    lane_busy_[job.lane] = false;
    finished_.push_back(std::move(job));
    done_cv_.notify_all();
    work_cv_.notify_all();  // the lane is free for its next job
  }
}

size_t UploadQueue::collect() {
  std::deque<Job> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(finished_);
  }
  for (Job& job : taken) {
    job.done(job.result);
    std::lock_guard<std::mutex> lock(mu_);
    forget(job);
  }
  return taken.size();
}

void UploadQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait_for(lock, timeout, [this] { return !finished_.empty() || outstanding_ == 0; });
}

size_t UploadQueue::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outstanding_;
}

size_t UploadQueue::outstanding(const void* lane) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = outstanding_by_lane_.find(lane);
  return it == outstanding_by_lane_.end() ? 0 : it->second;
}

uint64_t UploadQueue::memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return memory_bytes_;
}

bool UploadQueue::full() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outstanding_ >= options_.max_jobs || memory_bytes_ >= options_.max_memory_bytes;
}

void UploadQueue::cancel_pending() {
  std::deque<Job> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  dropped.swap(waiting_);
  for (const Job& job : dropped) forget(job);
}

}  // namespace pgs3
