#include "task/table_watch.h"

#include <algorithm>
#include <map>
#include <string>

#include "pg/connection.h"
#include "state/checkpoint.h"

namespace pgs3 {
namespace {

// What every stop asks for: pgs3 cannot load one table in a snapshot of its own yet.
constexpr const char kReload[] =
    "pgs3 cannot give one table a full load of its own yet: reload the task (`pgs3 drop --purge-target TASK.json`, "
    "then `pgs3 run TASK.json`: a new full load of every selected table)";

bool is_table_entry(const TableCheckpoint& e) { return e.relation_oid != 0 && !e.schema.empty(); }

std::string qualified(const std::string& schema, const std::string& name) { return quote_qualified(schema, name); }

bool has_entry_named(const Checkpoint& checkpoint, const std::string& schema, const std::string& name) {
  return std::any_of(checkpoint.tables.begin(), checkpoint.tables.end(), [&](const TableCheckpoint& e) {
    return is_table_entry(e) && e.schema == schema && e.table == name;
  });
}

// A table new to a running task that loads new tables: the stream ends and the task starts again, which loads it.
Status new_table(uint32_t oid, const std::string& schema, const std::string& name) {
  return Status::restart("table " + qualified(schema, name) + " (relation OID " + std::to_string(oid) +
                         ") is selected by tableMappings and new to the task (created while it streams): the task "
                         "starts again to load it in a snapshot of its own, then streams it with the others");
}

// A table the rules select but no entry knows by OID: the stop, saying which of the three cases it looks like.
Status unknown_table(const Checkpoint& checkpoint, uint32_t oid, const std::string& schema, const std::string& name) {
  const bool same_name = has_entry_named(checkpoint, schema, name);
  const std::string what =
      same_name ? "was dropped and created again (its relation OID is now " + std::to_string(oid) +
                      ") after the task's full load"
                : "(relation OID " + std::to_string(oid) +
                      ") is selected by tableMappings but was not part of the task's full load: it was created "
                      "since, or added to tableMappings since";
  return Status::bad_input("table " + qualified(schema, name) + " " + what +
                           "; streaming it now would give its folder change files without its existing rows. " +
                           kReload + ", or exclude the table in tableMappings");
}

Status renamed_table(const TableSelector& selector, const TableCheckpoint& e, const std::string& schema,
                     const std::string& name) {
  return Status::bad_input(
      "table " + qualified(e.schema, e.table) + " (relation OID " + std::to_string(e.relation_oid) +
      ") was renamed to " + qualified(schema, name) + " (ALTER TABLE ... RENAME)" +
      (selector.is_selected(schema, name) ? "" : ", a name tableMappings do not select") +
      "; pgs3 does not move a table's files to a new folder (the new folder would hold change files without the "
      "table's LOAD files), and writing on under the old name would mislabel the changes. Its changes from the "
      "rename on are not confirmed: " +
      kReload);
}

// The partitions of one watched root against its recorded ones: a stop, or the new recorded list when it grows.
Status compare_partitions(const TableCheckpoint& root, const std::vector<const CatalogPartition*>& leaves,
                          const CatalogSnapshot& catalog, std::vector<PartitionCheckpoint>* accepted) {
  const std::string table = qualified(root.schema, root.table);
  const std::string why = " of partitioned table " + table +
                          " changed its rows without a change in the stream (pgoutput publishes the partitions "
                          "through their root, publish_via_partition_root), so its files would drift from the source. ";
  std::map<uint32_t, const CatalogPartition*> now;
  for (const CatalogPartition* p : leaves) now[p->oid] = p;
  bool grew = false;
  for (const PartitionCheckpoint& before : *root.partitions) {
    auto it = now.find(before.oid);
    if (it == now.end()) {
      std::string name = "with OID " + std::to_string(before.oid);
      for (const CatalogTableName& t : catalog.tables) {
        if (t.oid == before.oid) name = qualified(t.schema, t.name);
      }
      return Status::bad_input("partition " + name + " was detached or dropped: the partition" + why + kReload);
    }
    if (it->second->relfilenode != before.relfilenode) {
      return Status::bad_input("partition " + it->second->qualified_name +
                               " was truncated (or rewritten by VACUUM FULL, CLUSTER or an ALTER TABLE, which the "
                               "catalog does not tell apart from a TRUNCATE: pgoutput does not send a partition's "
                               "TRUNCATE): the partition" +
                               why + kReload);
    }
  }
  std::vector<PartitionCheckpoint> list = *root.partitions;
  for (const auto& leaf : now) {
    const CatalogPartition* p = leaf.second;
    const bool known =
        std::any_of(list.begin(), list.end(), [p](const PartitionCheckpoint& b) { return b.oid == p->oid; });
    if (known) continue;
    if (p->empty != true) {
      return Status::bad_input("partition " + p->qualified_name +
                               " was attached with rows (ATTACH PARTITION of a table that has rows, or a new "
                               "partition filled before pgs3 saw it): the partition" +
                               why + kReload);
    }
    list.push_back({p->oid, p->relfilenode});
    grew = true;
  }
  if (grew) {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.oid < b.oid; });
    *accepted = std::move(list);
  }
  return Status::ok();
}

}  // namespace

std::vector<uint32_t> recorded_leaves(const Checkpoint& checkpoint, const std::set<uint32_t>& roots) {
  std::vector<uint32_t> out;
  for (const TableCheckpoint& e : checkpoint.tables) {
    if (!e.partitions || !roots.count(e.relation_oid)) continue;
    for (const PartitionCheckpoint& p : *e.partitions) out.push_back(p.oid);
  }
  return out;
}

CatalogFindings compare_catalog(const TableSelector& selector, const Checkpoint& checkpoint,
                                const std::set<uint32_t>& roots, const CatalogSnapshot& catalog,
                                CatalogCheckOptions options) {
  CatalogFindings out;
  std::map<uint32_t, const CatalogTableName*> by_oid;
  for (const CatalogTableName& t : catalog.tables) by_oid[t.oid] = &t;
  std::map<uint32_t, std::vector<const CatalogPartition*>> leaves;
  for (const CatalogPartition& p : catalog.partitions) leaves[p.root_oid].push_back(&p);

  std::set<uint32_t> known;
  for (const TableCheckpoint& e : checkpoint.tables) {
    if (!is_table_entry(e)) continue;
    known.insert(e.relation_oid);
    if (e.dropped) continue;
    auto it = by_oid.find(e.relation_oid);
    const CatalogTableName* now = it == by_oid.end() ? nullptr : it->second;
    const bool watched =
        selector.is_selected(e.schema, e.table) || (now != nullptr && selector.is_selected(now->schema, now->name));
    if (!watched) continue;
    if (now == nullptr) {
      out.dropped.push_back(e.relation_oid);
      continue;
    }
    if (now->schema != e.schema || now->name != e.table) {
      out.stop = renamed_table(selector, e, now->schema, now->name);
      return out;
    }
    if (now->is_partition) {
      out.stop = Status::bad_input("table " + qualified(e.schema, e.table) +
                                   " was attached as a partition of another table (ATTACH PARTITION): its changes "
                                   "are now published under that table. " +
                                   kReload);
      return out;
    }
    if (!roots.count(e.relation_oid)) continue;
    std::vector<const CatalogPartition*>& mine = leaves[e.relation_oid];
    if (!e.partitions) {
      std::vector<PartitionCheckpoint> list;
      list.reserve(mine.size());
      for (const CatalogPartition* p : mine) list.push_back({p->oid, p->relfilenode});
      out.partitions.emplace_back(e.relation_oid, std::move(list));
      continue;
    }
    std::vector<PartitionCheckpoint> accepted;
    out.stop = compare_partitions(e, mine, catalog, &accepted);
    if (!out.stop.is_ok()) return out;
    if (!accepted.empty()) out.partitions.emplace_back(e.relation_oid, std::move(accepted));
  }
  for (const CatalogTableName& t : catalog.tables) {
    if (t.is_partition || known.count(t.oid) || !selector.is_selected(t.schema, t.name)) continue;
    // An entry without an OID (never written by this pgs3, but allowed by the format) knows its table by name.
    const TableCheckpoint* by_name = checkpoint.find_table(0, t.schema, t.name);
    if (by_name != nullptr && by_name->relation_oid == 0) continue;
    if (options.load_new_tables && !has_entry_named(checkpoint, t.schema, t.name)) {
      out.new_tables.push_back(t.oid);
      continue;
    }
    out.stop = unknown_table(checkpoint, t.oid, t.schema, t.name);
    return out;
  }
  return out;
}

Status check_relation(const TableSelector& selector, const Checkpoint& checkpoint, const RelationDescriptor& relation,
                      CatalogCheckOptions options) {
  for (const TableCheckpoint& e : checkpoint.tables) {
    if (!is_table_entry(e) || e.relation_oid != relation.oid) continue;
    if (e.dropped || (e.schema == relation.schema && e.table == relation.name)) return Status::ok();
    const bool watched =
        selector.is_selected(e.schema, e.table) || selector.is_selected(relation.schema, relation.name);
    return watched ? renamed_table(selector, e, relation.schema, relation.name) : Status::ok();
  }
  if (!selector.is_selected(relation.schema, relation.name)) return Status::ok();
  const TableCheckpoint* by_name = checkpoint.find_table(0, relation.schema, relation.name);
  if (by_name != nullptr && by_name->relation_oid == 0) return Status::ok();
  if (options.load_new_tables && !has_entry_named(checkpoint, relation.schema, relation.name)) {
    return new_table(relation.oid, relation.schema, relation.name);
  }
  return unknown_table(checkpoint, relation.oid, relation.schema, relation.name);
}

}  // namespace pgs3
