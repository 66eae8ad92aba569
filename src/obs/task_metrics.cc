#include "obs/task_metrics.h"

#include <chrono>

#include "base/utc_time.h"

namespace pgs3 {
namespace {

constexpr char kChanges[] = "Changes received from the replication slot, by table and operation";
constexpr char kRows[] = "Rows in files made durable in the target, by table and kind (load, cdc)";
constexpr char kBytes[] = "Bytes of files made durable in the target, by table and kind (load, cdc)";
constexpr char kFiles[] = "Files made durable in the target, by table and kind (load, cdc)";

}  // namespace

TaskMetrics::TaskMetrics(MetricsRegistry& registry, const std::string& task_id, const std::string& migration_type)
    : phase(registry.gauge("pgs3_phase", "Task phase: 0 starting, 1 full load, 2 CDC")),
      loop_alive_seconds(registry.gauge("pgs3_loop_alive_seconds", "Unix time the replication loop last ran")),
      cdc_latency_source_seconds(
          registry.gauge("pgs3_cdc_latency_source_seconds",
                         "CDCLatencySource: seconds between the commit of the last change received and its receipt")),
      cdc_latency_target_seconds(
          registry.gauge("pgs3_cdc_latency_target_seconds",
                         "CDCLatencyTarget: seconds between the commit of the last change made durable and now")),
      slot_lag_bytes(registry.gauge("pgs3_slot_lag_bytes",
                                    "Bytes of WAL between the server's position and the slot's confirmed flush LSN")),
      confirmed_lsn_bytes(
          registry.gauge("pgs3_confirmed_lsn_bytes", "The confirmed flush LSN sent to PostgreSQL, as a byte offset")),
      last_checkpoint_time_seconds(
          registry.gauge("pgs3_last_checkpoint_time_seconds", "Unix time of the last checkpoint saved")),
      checkpoints(registry.counter("pgs3_checkpoints_total", "Checkpoints saved in the target")),
      memory_used_bytes(registry.gauge("pgs3_memory_used_bytes", "Bytes held in table buffers")),
      spill_bytes(registry.gauge("pgs3_spill_bytes", "Bytes in local spill files now")),
      spilled_bytes(registry.counter("pgs3_spilled_bytes_total", "Bytes written to local spill files")),
      transactions(registry.counter("pgs3_transactions_total", "Source transactions received")),
      uploads_pending(registry.gauge("pgs3_uploads_pending", "Change files and checkpoint saves not yet uploaded")),
      backpressure_ms(registry.counter("pgs3_backpressure_milliseconds_total",
                                       "Milliseconds the stream was not read because the uploads were full")),
      registry_(registry) {
  registry
      .gauge("pgs3_info", "The task this process runs, and the pgs3 version (always 1)",
             {{"task_id", task_id}, {"version", PGS3_VERSION}, {"migration_type", migration_type}})
      .set(1);
  registry.gauge("pgs3_start_time_seconds", "Unix time the pgs3 process started").set(unix_seconds_now());
}

TableMetrics& TaskMetrics::table(const std::string& schema, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = tables_[{schema, table}];
  if (!slot) {
    auto op = [&](const char* name) -> Counter& {
      return registry_.counter("pgs3_changes_total", kChanges, {{"schema", schema}, {"table", table}, {"op", name}});
    };
    auto kind = [&](const char* metric, const char* help, const char* k) -> Counter& {
      return registry_.counter(metric, help, {{"schema", schema}, {"table", table}, {"kind", k}});
    };
    slot.reset(new TableMetrics{
        op("insert"), op("update"), op("delete"), op("truncate"), op("ddl"),
        kind("pgs3_rows_written_total", kRows, "load"), kind("pgs3_rows_written_total", kRows, "cdc"),
        kind("pgs3_bytes_written_total", kBytes, "load"), kind("pgs3_bytes_written_total", kBytes, "cdc"),
        kind("pgs3_files_written_total", kFiles, "load"), kind("pgs3_files_written_total", kFiles, "cdc"),
        registry_.counter("pgs3_full_load_rows_total", "Rows read by the full load",
                          {{"schema", schema}, {"table", table}})});
  }
  return *slot;
}

Counter& TaskMetrics::retries(const std::string& cause) {
  return registry_.counter("pgs3_retries_total", "Failures retried, by cause", {{"cause", cause}});
}

}  // namespace pgs3
