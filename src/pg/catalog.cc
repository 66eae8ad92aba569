#include "pg/catalog.h"

#include <cmath>
#include <unordered_map>

#include "pg/connection.h"

namespace pgs3 {
namespace {

// Estimates come from pg_class (as of the last VACUUM/ANALYZE), not pg_relation_size(): that function locks each
// relation, and thousands of locks held to the end of the snapshot transaction would exhaust the lock table.
// reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+): counted as 0.
constexpr const char* kTablesSql = R"sql(
SELECT c.oid, n.nspname, c.relname, c.relkind,
       CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(greatest(l.reltuples, 0)), 0)::float8
                 FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
            ELSE greatest(c.reltuples, 0)::float8 END AS estimated_rows,
       CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(l.relpages::int8), 0)
                 FROM pg_partition_tree(c.oid) t JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
            ELSE c.relpages::int8 END * current_setting('block_size')::int8 AS estimated_bytes,
       has_table_privilege(c.oid, 'SELECT') AS can_select
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
 ORDER BY n.nspname, c.relname
)sql";

// Domains are resolved recursively to their base type, as getBaseTypeAndTypmod() does: the typmod is the first one
// set along the chain, and NOT NULL on any domain of the chain makes the column NOT NULL.
constexpr const char* kColumnsSql = R"sql(
WITH RECURSIVE chain AS (
  SELECT t.oid AS domain_oid, t.typbasetype AS base_oid, t.typtypmod AS base_typmod, t.typnotnull AS not_null
    FROM pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT ch.domain_oid, t.typbasetype, CASE WHEN ch.base_typmod = -1 THEN t.typtypmod ELSE ch.base_typmod END,
         ch.not_null OR t.typnotnull
    FROM chain ch JOIN pg_type t ON t.oid = ch.base_oid
   WHERE t.typtype = 'd'
), resolved AS (
  SELECT ch.* FROM chain ch JOIN pg_type b ON b.oid = ch.base_oid WHERE b.typtype <> 'd'
)
SELECT a.attrelid, a.attname, a.attnum, a.atttypid, a.atttypmod,
       a.attnotnull OR coalesce(r.not_null, false) AS not_null,
       format_type(a.atttypid, a.atttypmod) AS type_text,
       b.oid AS base_oid,
       CASE WHEN r.domain_oid IS NULL THEN a.atttypmod ELSE r.base_typmod END AS base_typmod,
       b.typname, b.typtype, (b.typcategory = 'A' AND b.typelem <> 0) AS is_array,
       EXISTS (SELECT 1 FROM pg_index i
                WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS in_primary_key
  FROM pg_attribute a
  LEFT JOIN resolved r ON r.domain_oid = a.atttypid
  JOIN pg_type b ON b.oid = coalesce(r.base_oid, a.atttypid)
 WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum
)sql";

// Both without locks: pg_class and pg_inherits are read directly (pg_partition_tree() would lock every partition).
constexpr const char* kWatchedTablesSql = R"sql(
SELECT c.oid, n.nspname, c.relname, c.relispartition
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
)sql";

constexpr const char* kLeafPartitionsSql = R"sql(
WITH RECURSIVE tree(root, relid) AS (
  SELECT r, r FROM unnest($1::oid[]) AS r
  UNION ALL
  SELECT t.root, i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.relid
)
SELECT t.root, c.oid, c.relfilenode, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
       CASE WHEN $3::bool AND NOT (c.oid = ANY ($2::oid[])) THEN pg_catalog.pg_relation_size(c.oid) = 0 END
  FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE t.relid <> t.root AND c.relkind NOT IN ('p', 'I')
 ORDER BY t.root, c.oid
)sql";

uint32_t to_oid(int64_t v) { return static_cast<uint32_t>(v); }

std::string oid_array_text(const std::vector<uint32_t>& oids) {
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict on operator+(const char*, std::string&&)
  // (GCC bug 105329).
  std::string out = "{";
  for (uint32_t oid : oids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(oid);
  }
  out += '}';
  return out;
}

}  // namespace

std::string SourceTable::qualified_name() const { return quote_qualified(schema, name); }

Result<std::vector<SourceTable>> list_tables(PgConnection& conn) {
  auto tables_result = conn.query(kTablesSql);
  if (!tables_result.is_ok()) return tables_result.status().with_context("cannot list the source tables");
  const PgResult& rows = *tables_result;

  std::vector<SourceTable> tables;
  tables.reserve(static_cast<size_t>(rows.rows()));
  std::unordered_map<uint32_t, size_t> by_oid;
  std::string oid_array = "{";
  for (int i = 0; i < rows.rows(); ++i) {
    SourceTable t;
    t.oid = to_oid(rows.get_int64(i, 0));
    t.schema = std::string(rows.get(i, 1));
    t.name = std::string(rows.get(i, 2));
    t.relkind = rows.get(i, 3).empty() ? 'r' : rows.get(i, 3)[0];
    double estimate = rows.get_double(i, 4);
    t.estimated_rows = std::isfinite(estimate) && estimate > 0 ? static_cast<int64_t>(std::llround(estimate)) : 0;
    t.estimated_bytes = std::max<int64_t>(0, rows.get_int64(i, 5));
    t.can_select = rows.get_bool(i, 6);
    by_oid[t.oid] = tables.size();
    if (oid_array.size() > 1) oid_array += ',';
    oid_array += std::to_string(t.oid);
    tables.push_back(std::move(t));
  }
  oid_array += '}';
  if (tables.empty()) return tables;

  auto columns_result = conn.query(kColumnsSql, {oid_array});
  if (!columns_result.is_ok()) return columns_result.status().with_context("cannot list the source tables' columns");
  const PgResult& cols = *columns_result;
  for (int i = 0; i < cols.rows(); ++i) {
    auto it = by_oid.find(to_oid(cols.get_int64(i, 0)));
    if (it == by_oid.end()) continue;
    SourceColumn c;
    c.name = std::string(cols.get(i, 1));
    c.attnum = static_cast<int16_t>(cols.get_int64(i, 2));
    c.type_oid = to_oid(cols.get_int64(i, 3));
    c.typmod = static_cast<int32_t>(cols.get_int64(i, 4, -1));
    c.not_null = cols.get_bool(i, 5);
    c.type_text = std::string(cols.get(i, 6));
    c.base_type_oid = to_oid(cols.get_int64(i, 7));
    c.base_typmod = static_cast<int32_t>(cols.get_int64(i, 8, -1));
    c.base_type_name = std::string(cols.get(i, 9));
    c.typtype = static_cast<TypType>(cols.get(i, 10).empty() ? 'b' : cols.get(i, 10)[0]);
    c.is_array = cols.get_bool(i, 11);
    c.in_primary_key = cols.get_bool(i, 12);
    tables[it->second].columns.push_back(std::move(c));
  }
  return tables;
}

Result<CatalogSnapshot> read_catalog_snapshot(PgConnection& conn, const std::vector<uint32_t>& roots,
                                              const std::vector<uint32_t>& known_leaves, bool check_new_leaves) {
  CatalogSnapshot out;
  auto tables = conn.query(kWatchedTablesSql);
  if (!tables.is_ok()) return tables.status().with_context("cannot read the source tables from the catalog");
  out.tables.reserve(static_cast<size_t>(tables->rows()));
  for (int i = 0; i < tables->rows(); ++i) {
    out.tables.push_back({to_oid(tables->get_int64(i, 0)), std::string(tables->get(i, 1)),
                          std::string(tables->get(i, 2)), tables->get_bool(i, 3)});
  }
  if (!roots.empty()) {
    auto leaves = conn.query(kLeafPartitionsSql,
                             {oid_array_text(roots), oid_array_text(known_leaves), check_new_leaves ? "t" : "f"});
    if (!leaves.is_ok()) return leaves.status().with_context("cannot read the partitions of the partitioned tables");
    for (int i = 0; i < leaves->rows(); ++i) {
      CatalogPartition p;
      p.root_oid = to_oid(leaves->get_int64(i, 0));
      p.oid = to_oid(leaves->get_int64(i, 1));
      p.relfilenode = to_oid(leaves->get_int64(i, 2));
      p.qualified_name = std::string(leaves->get(i, 3));
      if (!leaves->is_null(i, 4)) p.empty = leaves->get_bool(i, 4);
      out.partitions.push_back(std::move(p));
    }
  }
  auto lsn = conn.query("SELECT pg_catalog.pg_current_wal_insert_lsn() - '0/0'::pg_lsn");
  if (!lsn.is_ok()) return lsn.status().with_context("cannot read the WAL insert position");
  if (lsn->rows() != 1) return Status::internal("pg_current_wal_insert_lsn() returned no row");
  out.wal_insert_lsn = static_cast<uint64_t>(lsn->get_int64(0, 0));
  return out;
}

Result<int> money_fraction_digits(PgConnection& conn) {
  // cash_numeric() converts with lc_monetary's frac_digits (2 when the locale gives none), so the scale of its
  // result is the number of fractional digits money values are stored with.
  auto result = conn.query("SELECT scale(0::money::numeric)");
  if (!result.is_ok()) return result.status().with_context("cannot read the money type's fraction digits");
  if (result->rows() != 1) return Status::internal("SELECT scale(0::money::numeric) returned no row");
  int64_t digits = result->get_int64(0, 0, -1);
  if (digits < 0 || digits > 18) {
    return Status::bad_input("the money type has " + std::to_string(digits) +
                             " fraction digits under this lc_monetary; pgs3 supports 0 to 18");
  }
  return static_cast<int>(digits);
}

}  // namespace pgs3
