#include "task/full_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>

#include "base/log.h"
#include "pg/connection.h"
#include "pg/snapshot.h"
#include "pg/table_reader.h"
#include "pg/type_mapping.h"
#include "rules/object_tagging.h"
#include "sink/load_file_set.h"
#include "sink/load_file_writer.h"
#include "sink/object_keys.h"
#include "task/cancellation.h"
#include "task/value_warnings.h"

namespace pgs3 {
namespace {

// The columns pgs3 adds in front of the source columns, as DMS does: Op (IncludeOpForFullLoad), then the
// TimestampColumnName column. Both are strings in every format (DMS writes the timestamp column as text).
std::vector<ColumnSpec> leading_columns(const S3Settings& s) {
  std::vector<ColumnSpec> cols;
  if (s.include_op_for_full_load) cols.push_back(ColumnSpec{.name = "Op", .nullable = false});
  if (!s.timestamp_column_name.empty()) cols.push_back(ColumnSpec{.name = s.timestamp_column_name, .nullable = false});
  return cols;
}

// Shared state of the segments of one table.
struct TableLoad {
  TableLoad(const SourceTable& t, ObjectStore& store, const S3Settings& s)
      : table(t), files(store, table_prefix(s, t.schema, t.name)) {}
  const SourceTable& table;
  LoadFileSet files;
  size_t segments = 0;
  std::mutex mutex;                   // guards the fields below
  TableProgress* progress = nullptr;  // set when the first segment starts
  size_t finished = 0;
  uint64_t rows = 0;
};

struct QueuedSegment {
  const LoadSegment* segment;
  TableLoad* table;
};

// Shared state of one full load's workers.
struct LoadQueue {
  std::mutex mutex;
  std::vector<QueuedSegment> pending;  // largest last, popped from the back
  std::vector<TableLoadResult> done;
  Status first_failure;
  std::atomic<bool> stop{false};
  const FullLoad::TableLoaded* on_loaded = nullptr;
  std::mutex loaded_mutex;  // one on_loaded call at a time

  std::optional<QueuedSegment> next() {
    std::lock_guard<std::mutex> lock(mutex);
    if (pending.empty() || stop) return std::nullopt;
    QueuedSegment s = pending.back();
    pending.pop_back();
    return s;
  }
  void fail(const Status& s) {
    std::lock_guard<std::mutex> lock(mutex);
    if (first_failure.is_ok()) first_failure = s;
    stop = true;
  }
};

class SegmentLoader {
 public:
  SegmentLoader(const TaskConfig& config, ObjectStore& store, Progress& progress, LoadQueue& queue,
                const std::string& load_time, int money_digits)
      : config_(config),
        store_(store),
        progress_(progress),
        queue_(queue),
        load_time_(load_time),
        money_digits_(money_digits) {}

  // Loads one segment; when it is the table's last to finish, returns the table's result.
  Result<std::optional<TableLoadResult>> load(PgConnection& conn, const LoadSegment& segment, TableLoad& t) {
    const S3Settings& s = config_.target.s3;
    const SourceTable& table = t.table;
    std::string label = table.schema + "." + table.name;
    const std::string segment_label = segment.count > 1
                                          ? label + " segment " + std::to_string(segment.index + 1) + "/" +
                                                std::to_string(segment.count) + " (" + segment.description + ")"
                                          : label;
    TypeMappingOptions mapping{.timestamp_millis = s.parquet_timestamp_in_millisecond,
                               .money_fraction_digits = money_digits_,
                               .decimal_as_text = s.data_format == DataFormat::kCsv};
    std::vector<MappedColumn> mapped = map_columns(table, mapping);
    std::vector<ColumnSpec> schema = leading_columns(s);
    const size_t first_column = schema.size();
    for (const auto& m : mapped) schema.push_back(m.spec);

    KeyValueMetadata metadata = {
        {"pgs3.version", PGS3_VERSION}, {"pgs3.source.schema", table.schema}, {"pgs3.source.table", table.name}};
    // The tags were checked for every table before the load started (task_runner), so this cannot fail here.
    PGS3_ASSIGN_OR_RETURN(ObjectTags tags, tags_for_table(config_, table.schema, table.name));
    LoadFileWriter writer(store_, s, t.files, schema, std::move(metadata),
                          ObjectOptions{.metadata = {}, .tags = std::move(tags)});
    TableReader reader(table, std::move(mapped));
    reader.set_scope(segment.relation, segment.only, segment.predicate);
    RecordBatch batch(schema);
    TableProgress* tp;
    {
      std::lock_guard<std::mutex> lock(t.mutex);
      if (t.progress == nullptr) {
        t.progress = progress_.table_started(label, static_cast<double>(table.estimated_rows), t.segments);
      }
      tp = t.progress;
    }

    TableReadOptions options{.first_column = first_column,
                             .batch_rows = static_cast<uint64_t>(std::max<int64_t>(1024, s.row_group_length)),
                             .batch_bytes = 16 << 20};
    Status st = reader.read(conn, batch, options, [&](RecordBatch& b, size_t new_rows) -> Status {
      if (queue_.stop) return Status::cancelled("stopped because another table failed");
      if (cancel_requested()) return Status::cancelled("interrupted by a signal");
      size_t c = 0;
      if (s.include_op_for_full_load) {
        for (size_t i = 0; i < new_rows; ++i) b.columns[c].append_bytes("I");
        ++c;
      }
      if (!s.timestamp_column_name.empty()) {
        for (size_t i = 0; i < new_rows; ++i) b.columns[c].append_bytes(load_time_);
      }
      PGS3_RETURN_IF_ERROR(writer.write(b));
      b.clear();
      tp->add_rows(new_rows);
      return Status::ok();
    });
    if (!st.is_ok()) {
      writer.abort();
      return segment.count > 1 ? st.with_context(segment_label) : st;
    }
    PGS3_RETURN_IF_ERROR(writer.finish().with_context("table " + segment_label));
    ValueWarnings().check(reader.decoders(), [&label] { return label; });

    std::lock_guard<std::mutex> lock(t.mutex);
    t.rows += reader.rows_read();
    tp->segment_done();
    if (++t.finished < t.segments) return std::optional<TableLoadResult>();
    PGS3_RETURN_IF_ERROR(t.files.finish().with_context("table " + label));
    progress_.table_finished(tp, t.files.bytes(), t.files.files());
    return std::optional<TableLoadResult>(
        TableLoadResult{table.schema, table.name, table.oid, t.rows, t.files.bytes(), t.files.files(), tp->seconds()});
  }

 private:
  const TaskConfig& config_;
  ObjectStore& store_;
  Progress& progress_;
  LoadQueue& queue_;
  const std::string& load_time_;
  int money_digits_;
};

void run_worker(const TaskConfig& config, ObjectStore& store, Progress& progress, LoadQueue& queue,
                const std::string& snapshot_name, const std::string& load_time) {
  auto conn = PgConnection::open(config.source.connection);
  if (!conn.is_ok()) return queue.fail(conn.status());
  Status st = import_snapshot(**conn, snapshot_name);
  if (!st.is_ok()) return queue.fail(st);
  auto money_digits = money_fraction_digits(**conn);
  if (!money_digits.is_ok()) return queue.fail(money_digits.status());
  SegmentLoader loader(config, store, progress, queue, load_time, *money_digits);
  while (std::optional<QueuedSegment> next = queue.next()) {
    auto result = loader.load(**conn, *next->segment, *next->table);
    if (!result.is_ok()) {
      if (result.status().code() != StatusCode::kCancelled || !queue.stop) queue.fail(result.status());
      return;
    }
    if (!result->has_value()) continue;
    if (queue.on_loaded != nullptr && *queue.on_loaded) {
      std::lock_guard<std::mutex> lock(queue.loaded_mutex);
      if (Status recorded = (*queue.on_loaded)(**result); !recorded.is_ok()) return queue.fail(recorded);
    }
    std::lock_guard<std::mutex> lock(queue.mutex);
    queue.done.push_back(std::move(**result));
  }
  (void)end_transaction(**conn);
}

}  // namespace

Result<FullLoadSummary> FullLoad::run(const std::vector<SourceTable>& tables, const std::string& snapshot_name,
                                      const std::string& load_time) {
  PGS3_ASSIGN_OR_RETURN(std::vector<LoadSegment> segments, plan_load(config_, tables));
  return run(tables, segments, snapshot_name, load_time);
}

Result<FullLoadSummary> FullLoad::run(const std::vector<SourceTable>& tables, const std::vector<LoadSegment>& segments,
                                      const std::string& snapshot_name, const std::string& load_time) {
  auto started = std::chrono::steady_clock::now();
  std::deque<TableLoad> table_loads;  // stable addresses
  std::map<const SourceTable*, TableLoad*> by_table;
  for (const SourceTable& t : tables) by_table[&t] = &table_loads.emplace_back(t, store_, config_.target.s3);
  LoadQueue queue;
  queue.on_loaded = &on_loaded_;
  for (const LoadSegment& s : segments) {
    TableLoad* t = by_table.at(s.table);
    ++t->segments;
    queue.pending.push_back(QueuedSegment{&s, t});
  }
  std::stable_sort(queue.pending.begin(), queue.pending.end(), [](const QueuedSegment& a, const QueuedSegment& b) {
    return a.segment->estimated_bytes < b.segment->estimated_bytes;  // popped from the back: largest first
  });

  int workers = std::min<int>(config_.full_load.max_full_load_sub_tasks, static_cast<int>(segments.size()));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] { run_worker(config_, store_, progress_, queue, snapshot_name, load_time); });
  }
  for (auto& t : threads) t.join();
  if (!queue.first_failure.is_ok()) return queue.first_failure;
  if (cancel_requested()) return Status::cancelled("interrupted by a signal before the full load finished");

  FullLoadSummary summary;
  summary.tables = std::move(queue.done);
  std::sort(summary.tables.begin(), summary.tables.end(), [](const TableLoadResult& a, const TableLoadResult& b) {
    return std::tie(a.schema, a.table) < std::tie(b.schema, b.table);
  });
  for (const auto& r : summary.tables) {
    summary.rows += r.rows;
    summary.bytes += r.bytes;
    summary.files += r.files;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace pgs3
