// TaskMetrics: the metrics of one replication task, by name, so every part of pgs3 records into the same series and
// the README's list ("Operating pgs3") has one source. All live in a MetricsRegistry (normally metrics()).
//
// Per table (labels schema, table; one TableMetrics per table, created on first use — keep the reference):
//   pgs3_changes_total{schema,table,op}        counter  changes received from the slot, op = insert|update|delete|
//                                                       truncate|ddl (rate() gives changes/s)
//   pgs3_rows_written_total{schema,table,kind} counter  rows in files made durable in the target, kind = load|cdc
//   pgs3_bytes_written_total{schema,table,kind} counter bytes of those files
//   pgs3_files_written_total{schema,table,kind} counter files made durable
//   pgs3_full_load_rows_total{schema,table}    counter  rows read by the full load
// Per task:
//   pgs3_info{task_id,version,migration_type}  gauge    always 1: which task and pgs3 version this process runs
//   pgs3_start_time_seconds                    gauge    Unix time the process started
//   pgs3_phase                                 gauge    0 starting, 1 full load, 2 CDC
//   pgs3_loop_alive_seconds                    gauge    Unix time the replication loop last ran (what /healthz
//                                                       checks while streaming)
//   pgs3_cdc_latency_source_seconds            gauge    DMS's CDCLatencySource: now - commit time of the last
//                                                       change received from the source
//   pgs3_cdc_latency_target_seconds            gauge    DMS's CDCLatencyTarget: now - commit time of the last
//                                                       change made durable in the target
//   pgs3_slot_lag_bytes                        gauge    server WAL position - the slot's confirmed flush LSN (WAL the
//                                                       server keeps for this task)
//   pgs3_confirmed_lsn_bytes                   gauge    the confirmed flush LSN sent to PostgreSQL, as a byte offset
//   pgs3_last_checkpoint_time_seconds          gauge    Unix time of the last checkpoint saved
//   pgs3_checkpoints_total                     counter  checkpoints saved
//   pgs3_memory_used_bytes                     gauge    bytes held in table buffers (against the memory budget)
//   pgs3_spill_bytes                           gauge    bytes in local spill files now
//   pgs3_spilled_bytes_total                   counter  bytes ever written to spill files
//   pgs3_transactions_total                    counter  source transactions received (commits)
//   pgs3_uploads_pending                       gauge    change files and checkpoint saves handed to the upload
//                                                       threads and not yet done
//   pgs3_backpressure_milliseconds_total       counter  time (ms) the replication loop did not read the stream
//                                                       because the uploads were full (S3 slower than the source)
//   pgs3_retries_total{cause}                  counter  retried failures, cause = s3_5xx|s3_slowdown|s3_timeout|
//                                                       network|pg_connection|... (the callers' word)
//
// Thread-safety: every method may be called from any thread (the registry is thread-safe; table() takes a mutex).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "obs/metrics.h"

namespace pgs3 {

struct TableMetrics {
  Counter& inserts;  // pgs3_changes_total{op="insert"}
  Counter& updates;
  Counter& deletes;
  Counter& truncates;
  Counter& ddls;
  Counter& load_rows_written;  // pgs3_rows_written_total{kind="load"}
  Counter& cdc_rows_written;   // pgs3_rows_written_total{kind="cdc"}
  Counter& load_bytes_written;
  Counter& cdc_bytes_written;
  Counter& load_files_written;
  Counter& cdc_files_written;
  Counter& full_load_rows;  // pgs3_full_load_rows_total
};

class TaskMetrics {
 public:
  TaskMetrics(MetricsRegistry& registry, const std::string& task_id, const std::string& migration_type);

  // The table's series, created on first call; the reference stays valid for the registry's life.
  TableMetrics& table(const std::string& schema, const std::string& table);
  // pgs3_retries_total{cause}.
  Counter& retries(const std::string& cause);

  Gauge& phase;  // 0 starting, 1 full load, 2 CDC
  Gauge& loop_alive_seconds;
  Gauge& cdc_latency_source_seconds;
  Gauge& cdc_latency_target_seconds;
  Gauge& slot_lag_bytes;
  Gauge& confirmed_lsn_bytes;
  Gauge& last_checkpoint_time_seconds;
  Counter& checkpoints;
  Gauge& memory_used_bytes;
  Gauge& spill_bytes;
  Counter& spilled_bytes;
  Counter& transactions;
  Gauge& uploads_pending;
  Counter& backpressure_ms;

 private:
  MetricsRegistry& registry_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TableMetrics>> tables_;
};

}  // namespace pgs3
