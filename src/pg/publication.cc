#include "pg/publication.h"

#include <set>
#include <utility>

#include "pg/connection.h"

namespace pgs3 {
namespace {

std::string table_list(const std::vector<const SourceTable*>& tables, size_t limit) {
  std::string out;
  for (size_t i = 0; i < tables.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += tables[i]->qualified_name();
  }
  if (tables.size() > limit) out += ", ...";
  return out;
}

Status check_existing(PgConnection& conn, const std::string& name, const std::vector<SourceTable>& tables,
                      const PgResult& pub) {
  const bool all_tables = pub.get_bool(0, 0);
  std::string missing_ops;
  const char* ops[] = {"insert", "update", "delete", "truncate"};
  for (int i = 0; i < 4; ++i) {
    if (!pub.get_bool(0, 1 + i)) missing_ops += std::string(missing_ops.empty() ? "" : ", ") + ops[i];
  }
  if (!missing_ops.empty()) {
    return Status::bad_input("publication " + quote_ident(name) + " does not publish " + missing_ops +
                             ": pgs3 would miss those changes; run ALTER PUBLICATION " + quote_ident(name) +
                             " SET (publish = 'insert, update, delete, truncate')");
  }
  if (all_tables) return Status::ok();
  // pg_publication_tables lists the partitioned root when publish_via_partition_root is on, its partitions
  // otherwise; pg_publication_rel names the tables as they were added.
  PGS3_ASSIGN_OR_RETURN(PgResult rels,
                        conn.query("SELECT pr.prrelid::bigint FROM pg_catalog.pg_publication_rel pr "
                                   "JOIN pg_catalog.pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = $1",
                                   {name}));
  std::set<uint32_t> published;
  for (int i = 0; i < rels.rows(); ++i) published.insert(static_cast<uint32_t>(rels.get_int64(i, 0)));
  std::vector<const SourceTable*> missing;
  bool partitioned = false;
  for (const SourceTable& t : tables) {
    if (!published.count(t.oid)) missing.push_back(&t);
    partitioned = partitioned || t.is_partitioned();
  }
  // PostgreSQL 15: a FOR TABLES IN SCHEMA publication lists schemas in pg_publication_namespace.
  if (!missing.empty() && conn.server_version_num() >= 150000) {
    PGS3_ASSIGN_OR_RETURN(PgResult schemas,
                          conn.query("SELECT n.nspname FROM pg_catalog.pg_publication_namespace pn "
                                     "JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid "
                                     "JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid WHERE p.pubname = $1",
                                     {name}));
    std::set<std::string> names;
    for (int i = 0; i < schemas.rows(); ++i) names.insert(std::string(schemas.get(i, 0)));
    std::erase_if(missing, [&](const SourceTable* t) { return names.count(t->schema) > 0; });
  }
  if (!missing.empty()) {
    std::string add;
    for (size_t i = 0; i < missing.size(); ++i) add += (i ? ", " : "") + missing[i]->qualified_name();
    return Status::bad_input(
        "publication " + quote_ident(name) + " does not include " + std::to_string(missing.size()) +
        " table(s) that tableMappings select: " + table_list(missing, 20) +
        "; their changes would be missing. Run ALTER PUBLICATION " + quote_ident(name) + " ADD TABLE " + add +
        " (as the tables' owner), or exclude them in tableMappings. A table added to a running "
        "task also needs a full load of its own: drop the task (pgs3 drop) and run it again");
  }
  if (partitioned && !pub.get_bool(0, 5)) {
    return Status::bad_input("publication " + quote_ident(name) +
                             " publishes partitioned tables through their partitions; pgs3 writes a partitioned "
                             "table under its root: run ALTER PUBLICATION " +
                             quote_ident(name) + " SET (publish_via_partition_root = true)");
  }
  return Status::ok();
}

}  // namespace

Result<bool> ensure_publication(PgConnection& conn, const std::string& name, const std::vector<SourceTable>& tables) {
  PGS3_ASSIGN_OR_RETURN(PgResult pub,
                        conn.query("SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot "
                                   "FROM pg_catalog.pg_publication WHERE pubname = $1",
                                   {name}));
  if (pub.rows() > 0) {
    PGS3_RETURN_IF_ERROR(check_existing(conn, name, tables, pub));
    return false;
  }
  std::string sql = "CREATE PUBLICATION " + quote_ident(name) + " FOR TABLE ";
  for (size_t i = 0; i < tables.size(); ++i) sql += (i ? ", " : "") + tables[i].qualified_name();
  sql += " WITH (publish_via_partition_root = true)";
  Status st = conn.exec(sql);
  if (!st.is_ok()) {
    return Status::bad_input("cannot create publication " + quote_ident(name) + ": " + st.message() +
                             ". Creating it needs ownership of every selected table (or superuser, or rds_superuser "
                             "on RDS); or create it yourself as the tables' owner: " +
                             sql);
  }
  return true;
}

}  // namespace pgs3
