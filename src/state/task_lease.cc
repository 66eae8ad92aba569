#include "state/task_lease.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "base/log.h"
#include "base/process_alive.h"
#include "base/utc_time.h"

namespace pgs3 {
namespace {

using Json = nlohmann::json;

constexpr const char kFormat[] = "pgs3-task-lease";
constexpr int kVersion = 1;

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/<pid>/stat (the process's start time in clock ticks since boot), or 0 when unknown. The second
// field (the command) is in parentheses and may hold spaces: fields are counted after its last ')'.
uint64_t process_start_time(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string random_token() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> hex(0, 15);
  std::string out;
  for (int i = 0; i < 24; ++i) out += "0123456789abcdef"[hex(device)];
  return out;
}

std::string describe_holder(const LeaseHolder& h) { return "host " + h.host + ", PID " + std::to_string(h.pid); }

}  // namespace

std::string lease_to_json(const LeaseRecord& r) {
  Json j = {{"format", kFormat},
            {"version", kVersion},
            {"generation", r.generation},
            {"holder",
             {{"host", r.holder.host},
              {"pid", r.holder.pid},
              {"boot", r.holder.boot},
              {"started", r.holder.started},
              {"token", r.holder.token}}},
            {"since", r.since},
            {"duration_s", r.duration_s},
            {"renewals", r.renewals},
            {"released", r.released}};
  return j.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<LeaseRecord> parse_lease(const std::string& text, const std::string& where) {
  auto bad = [&where](const std::string& problem) {
    return Status::data_error("task lease " + where + " cannot be read: " + problem +
                              "; if no pgs3 runs this task, remove the object and start the task again");
  };
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("it is not a JSON object");
  if (j.value("format", "") != kFormat) return bad("\"format\" is not \"" + std::string(kFormat) + "\"");
  const Json* holder = j.contains("holder") && j["holder"].is_object() ? &j["holder"] : nullptr;
  if (!j.contains("version") || !j["version"].is_number_unsigned()) return bad("\"version\" must be an integer");
  if (j["version"].get<uint64_t>() > static_cast<uint64_t>(kVersion)) {
    return bad("it has format version " + std::to_string(j["version"].get<uint64_t>()) +
               ", written by a newer pgs3: run a newer pgs3");
  }
  if (holder == nullptr || !j.contains("generation") || !j["generation"].is_number_unsigned() ||
      !(*holder).contains("pid") || !(*holder)["pid"].is_number_integer() || !j.contains("duration_s") ||
      !j["duration_s"].is_number_integer()) {
    return bad("\"generation\", \"holder\".\"pid\" or \"duration_s\" is missing or not a number");
  }
  LeaseRecord r;
  try {
    r.generation = j["generation"].get<uint64_t>();
    r.holder.host = holder->value("host", "");
    r.holder.pid = (*holder)["pid"].get<int64_t>();
    r.holder.boot = holder->value("boot", "");
    r.holder.started = holder->value("started", uint64_t{0});
    r.holder.token = holder->value("token", "");
    r.since = j.value("since", "");
    r.duration_s = j["duration_s"].get<int64_t>();
    r.renewals = j.value("renewals", uint64_t{0});
    r.released = j.value("released", false);
  } catch (const Json::exception& e) {
    return bad(std::string("a field has the wrong type (") + e.what() + ")");
  }
  return r;
}

LeaseHolder this_process_holder() {
  LeaseHolder h;
  h.host = host_name();
  h.pid = ::getpid();
  h.boot = read_first_line("/proc/sys/kernel/random/boot_id");
  h.started = process_start_time(h.pid);
  h.token = random_token();
  return h;
}

bool holder_may_run(const LeaseHolder& holder) {
  if (holder.host != host_name() || holder.boot.empty()) return true;  // another machine: only time tells
  if (holder.boot != read_first_line("/proc/sys/kernel/random/boot_id")) return false;  // this machine rebooted since
  if (!process_alive(holder.pid)) return false;
  return holder.started == 0 || process_start_time(holder.pid) == holder.started;  // or the PID was reused
}

LeaseVerdict judge_lease(const LeaseRecord& current, std::chrono::seconds age,
                         const std::function<bool(const LeaseHolder&)>& may_run) {
  const std::string who = describe_holder(current.holder);
  if (current.released) return {true, "released by " + who};
  if (age.count() >= current.duration_s) {
    return {true, "it expired: " + who + " last renewed it " + std::to_string(age.count()) + " s ago"};
  }
  if (!may_run(current.holder)) return {true, who + " that held it does not run any more"};
  return {false, "another pgs3 runs this task: " + who + ", since " + current.since + " (lease renewed " +
                     std::to_string(age.count()) + " s ago; it expires " +
                     std::to_string(current.duration_s - age.count()) +
                     " s after its holder stops renewing it). Stop that process first; a pgs3 started while it runs "
                     "refuses to start"};
}

std::string TaskLease::object_key(const std::string& prefix) { return prefix + "lease.json"; }

Result<std::optional<LeaseState>> TaskLease::inspect(ObjectStore& store, const std::string& prefix) {
  const std::string key = object_key(prefix);
  PGS3_ASSIGN_OR_RETURN(std::optional<VersionedObject> current, store.get_versioned(key));
  if (!current) return std::optional<LeaseState>();
  LeaseState state;
  PGS3_ASSIGN_OR_RETURN(state.record, parse_lease(current->bytes, key + " in " + store.describe()));
  state.etag = current->etag;
  state.age = current->age;
  state.verdict = judge_lease(state.record, current->age, holder_may_run);
  return std::optional<LeaseState>(std::move(state));
}

namespace {

// The lease as it is now when it may be taken (kConflict naming the holder when not); nullopt: there is none.
Result<std::optional<LeaseState>> read_free_lease(ObjectStore& store, const std::string& prefix,
                                                  const std::string& task) {
  PGS3_ASSIGN_OR_RETURN(std::optional<LeaseState> current, TaskLease::inspect(store, prefix));
  if (current && !current->verdict.free) return Status::conflict("task \"" + task + "\": " + current->verdict.why);
  return current;
}

}  // namespace

Status TaskLease::peek(ObjectStore& store, const std::string& prefix, const std::string& task) {
  return read_free_lease(store, prefix, task).status();
}

Result<std::unique_ptr<TaskLease>> TaskLease::acquire(ObjectStore& store, const std::string& prefix,
                                                      const std::string& task, std::chrono::seconds duration) {
  const std::string key = object_key(prefix);
  LeaseRecord mine;
  mine.holder = this_process_holder();
  mine.since = utc_now_text(UtcTimeStyle::kIso8601Millis);
  mine.duration_s = duration.count();
  PGS3_ASSIGN_OR_RETURN(std::optional<LeaseState> current, read_free_lease(store, prefix, task));
  std::string expected;
  if (current) {
    if (!current->record.released) {
      log_warn("task \"" + task + "\": taking over its lease, as " + current->verdict.why);
    }
    mine.generation = current->record.generation + 1;
    expected = current->etag;
  } else {
    mine.generation = 1;
  }
  const Clock::time_point sent = Clock::now();
  Result<std::string> etag = store.put_if(key, lease_to_json(mine), expected);
  if (!etag.is_ok()) {
    if (etag.status().code() == StatusCode::kConflict) {
      return Status::conflict("task \"" + task + "\": another pgs3 took the task's lease at the same moment (" +
                              etag.status().message() + "); only one process may run a task");
    }
    return etag.status().with_context("taking the lease of task \"" + task + "\"");
  }
  log_debug("task \"" + task + "\": lease generation " + std::to_string(mine.generation) + " taken for " +
            std::to_string(duration.count()) + " s, renewed every " + std::to_string(duration.count() / 4) + " s");
  return std::unique_ptr<TaskLease>(new TaskLease(store, key, task, duration, std::move(mine), *etag, sent));
}

TaskLease::TaskLease(ObjectStore& store, std::string key, std::string task, std::chrono::seconds duration,
                     LeaseRecord record, std::string etag, Clock::time_point sent)
    : store_(store),
      key_(std::move(key)),
      task_(std::move(task)),
      duration_(duration),
      record_(std::move(record)),
      etag_(std::move(etag)),
      valid_from_(sent) {
  renewer_ = std::thread([this] { renew_loop(); });
}

TaskLease::~TaskLease() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

std::chrono::seconds TaskLease::margin() const {
  return std::max<std::chrono::seconds>(std::chrono::seconds(2), duration_ / 6);
}

uint64_t TaskLease::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return record_.generation;
}

Status TaskLease::rewrite_locked(bool released) {
  if (lost_) return Status::conflict(*lost_);
  LeaseRecord next = record_;
  ++next.renewals;
  next.released = released;
  const Clock::time_point sent = Clock::now();
  Result<std::string> etag = store_.put_if(key_, lease_to_json(next), etag_);
  if (etag.is_ok()) {
    record_ = std::move(next);
    etag_ = std::move(*etag);
    valid_from_ = sent;
    if (!last_error_.empty()) log_info("task \"" + task_ + "\": its lease is renewed again");
    last_error_.clear();
    return Status::ok();
  }
  if (etag.status().code() != StatusCode::kConflict) {
    if (last_error_.empty()) {
      log_warn("task \"" + task_ + "\": cannot renew its lease (retrying): " + etag.status().message());
    }
    last_error_ = etag.status().message();
    return etag.status();
  }
  // Another process wrote the lease: it took the task over after this one went quiet for the lease's duration.
  std::string holder = "another process";
  auto now = store_.get_versioned(key_);
  if (now.is_ok() && *now) {
    auto record = parse_lease((*now)->bytes, key_);
    if (record.is_ok())
      holder = describe_holder(record->holder) + " (generation " + std::to_string(record->generation) + ")";
  }
  lost_ = "task \"" + task_ + "\": " + holder + " took over the task's lease while this process (generation " +
          std::to_string(record_.generation) + ") could not renew it; this process stops without writing anything more";
  log_error(*lost_);
  return Status::conflict(*lost_);
}

Status TaskLease::check() {
  std::lock_guard<std::mutex> lock(mu_);
  if (lost_) return Status::conflict(*lost_);
  if (stopping_ && record_.released) {
    return Status::internal("task \"" + task_ + "\": its lease was released; nothing may be written any more");
  }
  if (Clock::now() < valid_from_ + duration_ - margin()) return Status::ok();
  // Stale: a renewal now tells whether the lease is still this process's.
  Status renewed = rewrite_locked(false);
  if (renewed.is_ok() || renewed.code() == StatusCode::kConflict) return renewed;
  return Status::unavailable(
      "task \"" + task_ + "\": its lease could not be renewed for " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - valid_from_).count()) +
      " s, so nothing is written until it is (last error: " + last_error_ + ")");
}

Status TaskLease::raise_generation(uint64_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (record_.generation >= generation) return Status::ok();
  const uint64_t before = record_.generation;
  record_.generation = generation;
  Status st = rewrite_locked(false);
  if (!st.is_ok()) record_.generation = before;
  return st;
}

Status TaskLease::release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::ok();
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  Status st = rewrite_locked(true);
  if (!st.is_ok()) {
    log_warn("task \"" + task_ +
             "\": could not release its lease (the next start waits until it expires, or "
             "takes it at once on this machine): " +
             st.message());
  }
  return st;
}

void TaskLease::renew_loop() {
  const auto every = std::max<std::chrono::milliseconds>(std::chrono::milliseconds(500), duration_ / 4);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_ && !lost_) {
    // After a failed renewal, try again sooner (but not in a tight loop).
    const auto wait =
        last_error_.empty() ? every : std::max<std::chrono::milliseconds>(every / 4, std::chrono::milliseconds(500));
    if (wake_.wait_for(lock, wait, [this] { return stopping_; })) break;
    (void)rewrite_locked(false);
  }
}

}  // namespace pgs3
