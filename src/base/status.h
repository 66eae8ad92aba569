// Status and Result<T>: how expected failures travel between components.
//
// An expected failure (bad configuration, connection refused, permission denied, a malformed message) is a value,
// never an exception across a module line. The message is written for the user: it names the thing to fix. It never
// contains a secret. The code tells the caller what kind of failure it is, which decides retries and exit codes.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace pgs3 {

enum class StatusCode {
  kOk,
  kBadInput,     // the user must change the task, the source or the target before running again (exit code 2)
  kNotFound,     // a named object the task needs (a replication slot) does not exist; no retry brings it (exit 2)
  kSlotLost,     // the replication slot lost the WAL the task needs, or is gone under a CDC checkpoint: the changes
                 // since the checkpoint cannot be read any more; only a new full load helps (exit 2)
  kUnavailable,  // transient: network, server restart, 5xx; worth retrying
  kIoError,      // local file system
  kDataError,    // a value or message that cannot be represented or parsed
  kCancelled,    // stopped by a signal or by the caller
  kConflict,     // another writer changed what this one expected unchanged: a conditional write's precondition failed,
                 // or another process holds (or took over) the task's lease (exit 2)
  kInternal,     // a bug in pgs3
  kRestart,      // the task must start again to take in a change of the source (a table new to the task, loaded at
                 // start in a snapshot of its own); its runner restarts it in the same process (exit 1 if it escapes)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status bad_input(std::string msg) { return Status(StatusCode::kBadInput, std::move(msg)); }
  static Status not_found(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status slot_lost(std::string msg) { return Status(StatusCode::kSlotLost, std::move(msg)); }
  static Status unavailable(std::string msg) { return Status(StatusCode::kUnavailable, std::move(msg)); }
  static Status io_error(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status data_error(std::string msg) { return Status(StatusCode::kDataError, std::move(msg)); }
  static Status cancelled(std::string msg) { return Status(StatusCode::kCancelled, std::move(msg)); }
  static Status conflict(std::string msg) { return Status(StatusCode::kConflict, std::move(msg)); }
  static Status internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  static Status restart(std::string msg) { return Status(StatusCode::kRestart, std::move(msg)); }
  // A status of any code (kOk gives ok(), whatever the message).
  static Status of(StatusCode code, std::string msg) {
    return code == StatusCode::kOk ? Status() : Status(code, std::move(msg));
  }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True for failures that running again cannot cure: the user must change the task, the source or the target
  // (kBadInput, kNotFound, kSlotLost, kConflict; the exit code 2 of DESIGN.md §2).
  bool needs_user_action() const {
    return code_ == StatusCode::kBadInput || code_ == StatusCode::kNotFound || code_ == StatusCode::kSlotLost ||
           code_ == StatusCode::kConflict;
  }

  // Returns a status of the same code whose message is "<context>: <message>".
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a failed Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).is_ok() && "a Result holding a Status must hold a failure");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace pgs3

// Returns early from the enclosing function with the failed Status of `expr`.
#define PGS3_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::pgs3::Status pgs3_status_ = (expr);           \
    if (!pgs3_status_.is_ok()) return pgs3_status_; \
  } while (0)

#define PGS3_CONCAT_INNER(a, b) a##b
#define PGS3_CONCAT(a, b) PGS3_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its failed Status.
#define PGS3_ASSIGN_OR_RETURN(lhs, expr) PGS3_ASSIGN_OR_RETURN_IMPL(PGS3_CONCAT(pgs3_result_, __LINE__), lhs, expr)
// `lhs` is a declaration or an lvalue and `tmp` a name: neither can take parentheses.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PGS3_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.is_ok()) return tmp.status();           \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
