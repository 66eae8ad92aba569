#include "task/load_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/log.h"
#include "pg/connection.h"
#include "rules/json_document.h"

namespace pgs3 {
namespace {

// Strings are built by appending: GCC 12 at -O3 reports a false -Wrestrict on operator+(const char*, std::string&&)
// (GCC bug 105329).
std::string tid(int64_t block) {
  std::string out = "'(";
  out += std::to_string(block);
  out += ",0)'::tid";
  return out;
}

std::string row_of(const std::vector<std::string>& values) {
  std::string out = "ROW(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  out += ")";
  return out;
}

std::string oid_array(const std::vector<uint32_t>& oids) {
  std::string out = "{";
  for (size_t i = 0; i < oids.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(oids[i]);
  }
  out += "}";
  return out;
}

std::string table_label(const SourceTable& t) { return t.schema + "." + t.name; }

const char* type_name(ParallelLoadRule::Type type) {
  switch (type) {
    case ParallelLoadRule::Type::kNone: return "none";
    case ParallelLoadRule::Type::kPartitionsAuto: return "partitions-auto";
    case ParallelLoadRule::Type::kSubpartitionsAuto: return "subpartitions-auto";
    case ParallelLoadRule::Type::kPartitionsList: return "partitions-list";
    case ParallelLoadRule::Type::kRanges: return "ranges";
  }
  return "?";
}

// One member of a partitioned table's tree (pg_partition_tree), the root excluded.
struct Partition {
  uint32_t oid = 0;
  uint32_t parent = 0;
  std::string name;       // relname
  std::string qualified;  // quoted schema.name
  char relkind = 'r';
  bool leaf = false;
  int64_t bytes = 0;  // pg_table_size (0 for a partitioned member)
};

Result<std::vector<Partition>> read_partitions(PgConnection& conn, const SourceTable& table) {
  static constexpr char kSql[] = R"(
SELECT t.relid::oid::int8, t.parentrelid::oid::int8, c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       c.relkind, t.isleaf, CASE WHEN t.isleaf THEN pg_table_size(t.relid) ELSE 0 END
  FROM pg_partition_tree($1::oid) t JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE t.level > 0
 ORDER BY t.level, c.relname)";
  auto rows = conn.query(kSql, {std::to_string(table.oid)});
  if (!rows.is_ok()) return rows.status().with_context("cannot read the partitions of " + table_label(table));
  std::vector<Partition> out;
  for (int i = 0; i < rows->rows(); ++i) {
    Partition p;
    p.oid = static_cast<uint32_t>(rows->get_int64(i, 0));
    p.parent = static_cast<uint32_t>(rows->get_int64(i, 1));
    p.name = std::string(rows->get(i, 2));
    p.qualified = std::string(rows->get(i, 3));
    p.relkind = rows->get(i, 4).empty() ? 'r' : rows->get(i, 4)[0];
    p.leaf = rows->get_bool(i, 5);
    p.bytes = rows->get_int64(i, 6);
    out.push_back(std::move(p));
  }
  return out;
}

// The leaves under `oid` (itself when it is a leaf).
std::vector<const Partition*> leaves_under(const std::vector<Partition>& tree, uint32_t oid) {
  std::vector<const Partition*> out;
  for (const Partition& p : tree) {
    if (!p.leaf) continue;
    for (uint32_t at = p.oid; at != 0;) {
      if (at == oid) {
        out.push_back(&p);
        break;
      }
      auto parent = std::find_if(tree.begin(), tree.end(), [at](const Partition& q) { return q.oid == at; });
      at = parent == tree.end() ? 0 : parent->parent;
    }
  }
  return out;
}

int64_t bytes_under(const std::vector<Partition>& tree, uint32_t oid) {
  int64_t sum = 0;
  for (const Partition* leaf : leaves_under(tree, oid)) sum += leaf->bytes;
  return sum;
}

LoadSegment partition_segment(const SourceTable& table, const std::vector<Partition>& tree, const Partition& p) {
  return LoadSegment{.table = &table,
                     .relation = p.qualified,
                     .only = p.relkind != 'p',
                     .predicate = "",
                     .estimated_bytes = bytes_under(tree, p.oid),
                     .description = "partition " + p.qualified};
}

class Planner {
 public:
  Planner(PgConnection& conn, const TaskConfig& config, PlanOptions options)
      : conn_(conn), config_(config), options_(options) {}

  Result<std::vector<LoadSegment>> plan(const std::vector<SourceTable>& tables) {
    PGS3_RETURN_IF_ERROR(read_block_counts(tables));
    std::set<const ParallelLoadRule*> used;
    for (const SourceTable& table : tables) {
      const ParallelLoadRule* rule = rule_for(table);
      std::vector<LoadSegment> segments;
      if (rule != nullptr) {
        used.insert(rule);
        PGS3_ASSIGN_OR_RETURN(segments, by_rule(table, *rule));
      } else {
        segments = by_default(table);
      }
      for (size_t i = 0; i < segments.size(); ++i) {
        segments[i].index = i;
        segments[i].count = segments.size();
      }
      if (segments.size() > 1 && options_.log_segments) {
        log_info("full load of " + table_label(table) + ": " + std::to_string(segments.size()) + " segments (" +
                 (rule != nullptr
                      ? std::string("parallel-load ") + type_name(rule->type) + " of " + rule->origin
                      : "ctid block ranges of about " + std::to_string(config_.source.full_load_segment_mb) + " MB") +
                 ")");
      }
      for (LoadSegment& s : segments) out_.push_back(std::move(s));
    }
    for (const ParallelLoadRule& rule : config_.parallel_load_rules) {
      if (used.count(&rule) == 0 && options_.warn_unused_rules) {
        log_warn(rule.origin + ": its parallel-load applies to no table of the full load (" + rule.schema_name + "." +
                 rule.table_name + " is not selected, not a table, or does not exist)");
      }
    }
    return std::move(out_);
  }

 private:
  Status read_block_counts(const std::vector<SourceTable>& tables) {
    std::vector<uint32_t> oids;
    for (const SourceTable& t : tables) {
      if (!t.is_partitioned()) oids.push_back(t.oid);
    }
    if (oids.empty()) return Status::ok();
    auto rows = conn_.query(
        "SELECT c.oid::int8, pg_relation_size(c.oid) / current_setting('block_size')::int8, pg_table_size(c.oid) "
        "FROM pg_class c WHERE c.oid = ANY($1::oid[])",
        {oid_array(oids)});
    if (!rows.is_ok()) return rows.status().with_context("cannot read the sizes of the tables to load");
    for (int i = 0; i < rows->rows(); ++i) {
      const auto oid = static_cast<uint32_t>(rows->get_int64(i, 0));
      blocks_[oid] = rows->get_int64(i, 1);
      bytes_[oid] = rows->get_int64(i, 2);
    }
    return Status::ok();
  }

  const ParallelLoadRule* rule_for(const SourceTable& table) const {
    for (const ParallelLoadRule& rule : config_.parallel_load_rules) {
      if (rule.schema_name == table.schema && rule.table_name == table.name) return &rule;
    }
    return nullptr;
  }

  LoadSegment whole(const SourceTable& table) const {
    return LoadSegment{.table = &table,
                       .relation = table.qualified_name(),
                       .only = !table.is_partitioned(),
                       .predicate = "",
                       .estimated_bytes = table_bytes(table),
                       .description = "whole table"};
  }

  // With TOAST: a table of large values costs more to read than its blocks say.
  int64_t table_bytes(const SourceTable& table) const {
    auto it = bytes_.find(table.oid);
    return it == bytes_.end() ? table.estimated_bytes : it->second;
  }

  // One segment of `table` per predicate, of equal estimated size; describe(i) names segment i.
  template <typename Describe>
  std::vector<LoadSegment> predicate_segments(const SourceTable& table, const std::vector<std::string>& predicates,
                                              Describe describe) const {
    std::vector<LoadSegment> out;
    for (size_t i = 0; i < predicates.size(); ++i) {
      LoadSegment s = whole(table);
      s.predicate = predicates[i];
      s.estimated_bytes = table_bytes(table) / static_cast<int64_t>(predicates.size());
      s.description = describe(i);
      out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<LoadSegment> ctid_split(const SourceTable& table, size_t count) const {
    const int64_t blocks = blocks_.count(table.oid) != 0 ? blocks_.at(table.oid) : 0;
    const auto n = static_cast<int64_t>(count);
    return predicate_segments(table, ctid_predicates(blocks, count), [&](size_t i) {
      const auto at = static_cast<int64_t>(i);
      return "ctid blocks [" + std::to_string(blocks * at / n) + ", " +
             (at + 1 == n ? std::string("end") : std::to_string(blocks * (at + 1) / n)) + ")";
    });
  }

  std::vector<LoadSegment> by_default(const SourceTable& table) const {
    const int64_t segment_bytes = config_.source.full_load_segment_mb << 20;
    if (table.is_partitioned() || segment_bytes <= 0) return {whole(table)};
    const int64_t wanted = table_bytes(table) / segment_bytes;
    const size_t count =
        static_cast<size_t>(std::clamp<int64_t>(wanted, 1, std::max(1, config_.full_load.max_full_load_sub_tasks)));
    if (count < 2) return {whole(table)};
    return ctid_split(table, count);
  }

  Result<std::vector<LoadSegment>> by_rule(const SourceTable& table, const ParallelLoadRule& rule) {
    using Type = ParallelLoadRule::Type;
    if (rule.type == Type::kNone) return std::vector<LoadSegment>{whole(table)};
    if (rule.type == Type::kRanges) return by_ranges(table, rule);
    if (!table.is_partitioned()) {
      if (rule.type == Type::kPartitionsList) {
        return Status::bad_input(rule.origin + ": " + table_label(table) +
                                 " is not a partitioned table, so it has no partitions to list; use \"type\": "
                                 "\"ranges\", or remove the rule (pgs3 then splits it by ctid)");
      }
      log_warn(rule.origin + ": " + table_label(table) + " is not a partitioned table; " + type_name(rule.type) +
               " has no partitions to use, so the table is split as without the rule");
      return by_default(table);
    }
    PGS3_ASSIGN_OR_RETURN(std::vector<Partition> tree, read_partitions(conn_, table));
    std::vector<LoadSegment> out;
    if (rule.type == Type::kPartitionsAuto || rule.type == Type::kSubpartitionsAuto) {
      const bool leaves = rule.type == Type::kSubpartitionsAuto;
      for (const Partition& p : tree) {
        if (leaves ? p.leaf : p.parent == table.oid) out.push_back(partition_segment(table, tree, p));
      }
      if (out.empty()) out.push_back(whole(table));  // no partition yet: the root reads nothing, quickly
      return out;
    }
    // partitions-list: the named partitions, then the rows of every other leaf.
    std::set<uint32_t> named_leaves;
    for (const std::string& name : rule.partitions) {
      auto found = std::find_if(tree.begin(), tree.end(), [&](const Partition& p) { return p.name == name; });
      if (found == tree.end()) {
        std::string known;
        for (const Partition& p : tree) known += (known.empty() ? "" : ", ") + p.name;
        return Status::bad_input(rule.origin + ": " + Json(name).dump() + " is not a partition of " +
                                 table_label(table) + " (its partitions: " + (known.empty() ? "none" : known) + ")");
      }
      for (const Partition* leaf : leaves_under(tree, found->oid)) {
        if (!named_leaves.insert(leaf->oid).second) {
          return Status::bad_input(rule.origin + ": the partitions listed overlap (" + leaf->qualified +
                                   " is under two of them); list partitions that do not contain one another");
        }
      }
      out.push_back(partition_segment(table, tree, *found));
    }
    LoadSegment rest = whole(table);
    rest.description = "the partitions not listed";
    rest.estimated_bytes = 0;
    std::vector<uint32_t> excluded(named_leaves.begin(), named_leaves.end());
    for (const Partition& p : tree) {
      if (p.leaf && named_leaves.count(p.oid) == 0) rest.estimated_bytes += p.bytes;
    }
    if (!excluded.empty()) rest.predicate = "tableoid <> ALL ('" + oid_array(excluded) + "'::oid[])";
    out.push_back(std::move(rest));
    return out;
  }

  Result<std::vector<LoadSegment>> by_ranges(const SourceTable& table, const ParallelLoadRule& rule) {
    std::vector<std::string> columns;
    std::vector<const SourceColumn*> found;
    for (const std::string& name : rule.columns) {
      auto c = std::find_if(table.columns.begin(), table.columns.end(),
                            [&](const SourceColumn& col) { return col.name == name; });
      if (c == table.columns.end()) {
        std::string known;
        for (const SourceColumn& col : table.columns) known += (known.empty() ? "" : ", ") + col.name;
        return Status::bad_input(rule.origin + ": parallel-load.columns names " + Json(name).dump() +
                                 ", which is not a column of " + table_label(table) + " (its columns: " + known +
                                 "; names are case-sensitive)");
      }
      columns.push_back(quote_ident(c->name));
      found.push_back(&*c);
    }
    std::vector<std::vector<std::string>> boundaries;
    for (const std::vector<std::string>& values : rule.boundaries) {
      std::vector<std::string> typed;
      for (size_t c = 0; c < values.size(); ++c) {
        typed.push_back("CAST(" + quote_literal(values[c]) + " AS " + found[c]->type_text + ")");
      }
      boundaries.push_back(std::move(typed));
    }
    // Each boundary is a value of its columns' types and comes after the one before it.
    for (size_t i = 0; i < boundaries.size(); ++i) {
      const std::string check = i == 0 ? "SELECT " + row_of(boundaries[0]) + " IS NOT NULL"
                                       : "SELECT " + row_of(boundaries[i - 1]) + " < " + row_of(boundaries[i]);
      auto rows = conn_.query(check);
      const std::string which =
          rule.origin + ": parallel-load.boundaries[" + std::to_string(i) + "] " + Json(rule.boundaries[i]).dump();
      if (!rows.is_ok()) {
        return Status::bad_input(which + " is not a value of the columns " + Json(rule.columns).dump() + " of " +
                                 table_label(table) + ": " + rows.status().message());
      }
      if (rows->rows() != 1 || !rows->get_bool(0, 0)) {
        return Status::bad_input(which + " does not come after boundaries[" + std::to_string(i - 1) + "] " +
                                 Json(rule.boundaries[i - 1]).dump() +
                                 "; list the boundaries in ascending order, each the upper end of one segment");
      }
    }
    return predicate_segments(table, range_predicates(columns, boundaries), [&](size_t i) {
      return i == 0 ? "below " + Json(rule.boundaries[0]).dump()
                    : "from " + Json(rule.boundaries[i - 1]).dump() +
                          (i < rule.boundaries.size() ? " below " + Json(rule.boundaries[i]).dump()
                                                      : std::string(" up, and nulls"));
    });
  }

  PgConnection& conn_;
  const TaskConfig& config_;
  const PlanOptions options_;
  std::map<uint32_t, int64_t> blocks_;  // the ordinary tables' block counts (main fork)
  std::map<uint32_t, int64_t> bytes_;   // ... and their sizes with TOAST (pg_table_size)
  std::vector<LoadSegment> out_;
};

}  // namespace

std::vector<std::string> ctid_predicates(int64_t blocks, size_t count) {
  std::vector<std::string> out;
  if (count <= 1) return {""};
  const auto n = static_cast<int64_t>(count);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t from = blocks * i / n;
    const int64_t to = blocks * (i + 1) / n;
    if (i == 0) {
      out.push_back("ctid < " + tid(to));
    } else if (i + 1 == n) {
      out.push_back("ctid >= " + tid(from));  // open-ended: blocks added since planning are read too
    } else {
      out.push_back("ctid >= " + tid(from) + " AND ctid < " + tid(to));
    }
  }
  return out;
}

std::vector<std::string> range_predicates(const std::vector<std::string>& columns,
                                          const std::vector<std::vector<std::string>>& boundaries) {
  if (boundaries.empty()) return {""};
  const std::string row = row_of(columns);
  std::string not_null;
  std::string any_null;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) not_null += " AND ";
    not_null += columns[i];
    not_null += " IS NOT NULL";
    any_null += " OR ";
    any_null += columns[i];
    any_null += " IS NULL";
  }
  // Rows without a null compare with every boundary, true or false, so they fall in exactly one of the first
  // segments or the last; rows with a null go to the last one.
  std::vector<std::string> out;
  for (size_t i = 0; i < boundaries.size(); ++i) {
    std::string p = row + " < " + row_of(boundaries[i]);
    if (i > 0) p = row + " >= " + row_of(boundaries[i - 1]) + " AND " + p;
    out.push_back(p + " AND " + not_null);
  }
  out.push_back(row + " >= " + row_of(boundaries.back()) + any_null);
  return out;
}

Result<std::vector<LoadSegment>> plan_load(PgConnection& conn, const TaskConfig& config,
                                           const std::vector<SourceTable>& tables, PlanOptions options) {
  return Planner(conn, config, options).plan(tables);
}

Result<std::vector<LoadSegment>> plan_load(const TaskConfig& config, const std::vector<SourceTable>& tables,
                                           PlanOptions options) {
  PGS3_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::open(config.source.connection));
  return plan_load(*conn, config, tables, options);
}

}  // namespace pgs3
