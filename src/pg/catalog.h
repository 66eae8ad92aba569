// Catalog: the tables a full load can read, as the source's system catalogs describe them.
//
// list_tables() returns every ordinary table that is not a partition (relkind 'r', relispartition false) and every
// partitioned-table root (relkind 'p', relispartition false) outside pg_catalog, information_schema and pg_toast*,
// excluding other sessions' temporary tables, sorted by schema then name. A partitioned root stands for all of its
// partitions: it is read through the root, and its row estimate is the sum of its leaf partitions'. Inheritance
// children are listed as tables of their own (their parent is read with ONLY).
//
// Two catalog queries in all (tables, then the columns of all of them), whatever the number of tables. Run it inside
// the full load's snapshot transaction when the list must match the data read.
//
// Thread-safety: free functions over a connection, which is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace pgs3 {

class PgConnection;

// pg_type.typtype values (of the column's base type, domains resolved).
enum class TypType : char {
  kBase = 'b',
  kComposite = 'c',
  kDomain = 'd',  // never the typtype of a resolved base type
  kEnum = 'e',
  kPseudo = 'p',
  kRange = 'r',
  kMultirange = 'm',
};

struct SourceColumn {
  std::string name;
  int16_t attnum = 0;
  uint32_t type_oid = 0;  // declared type (a domain, when the column's type is one)
  int32_t typmod = -1;    // declared atttypmod
  bool not_null = false;  // attnotnull, or a NOT NULL on the domain or any domain it is based on
  std::string type_text;  // format_type(atttypid, atttypmod), e.g. "numeric(10,2)", "public.mood"
  // The type the value really has: the declared type, or for a domain its base type, resolved recursively.
  uint32_t base_type_oid = 0;
  int32_t base_typmod = -1;          // typmod of the base type (the declared one, or the domain's typtypmod)
  std::string base_type_name;        // pg_type.typname of the base type, e.g. "int4", "citext" (extension types have
                                     // no fixed OID, so they are recognised by name)
  TypType typtype = TypType::kBase;  // of the base type
  bool is_array = false;             // the base type is an array (typcategory 'A' with a typelem)
  bool in_primary_key = false;       // part of the table's primary key
};

struct SourceTable {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  char relkind = 'r';                 // 'r' ordinary table, 'p' partitioned-table root
  int64_t estimated_rows = 0;         // pg_class.reltuples (summed over leaf partitions for a root); 0 when unknown
  int64_t estimated_bytes = 0;        // pg_relation_size (summed over leaf partitions for a root)
  bool can_select = false;            // has_table_privilege(current_user, oid, 'SELECT')
  std::vector<SourceColumn> columns;  // attnum order; dropped and system columns excluded

  bool is_partitioned() const { return relkind == 'p'; }
  // "schema"."name", quoted for SQL.
  std::string qualified_name() const;
};

Result<std::vector<SourceTable>> list_tables(PgConnection& conn);

// What a running CDC task watches in the catalog (task/table_watch.h): the DDL that pgoutput does not stream (DROP
// TABLE; a partition's TRUNCATE, ATTACH and DETACH under publish_via_partition_root) or that pgs3 does not follow
// (a table renamed or created). Read without taking a lock on any table, except pg_relation_size() on a new leaf
// partition (run it on a connection with a short lock_timeout).
struct CatalogTableName {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  bool is_partition = false;  // pg_class.relispartition
};

struct CatalogPartition {
  uint32_t root_oid = 0;  // the watched partitioned table it belongs to (at any depth)
  uint32_t oid = 0;
  uint32_t relfilenode = 0;    // changes on TRUNCATE (and on VACUUM FULL, CLUSTER, a rewriting ALTER TABLE)
  std::string qualified_name;  // "schema"."name", for messages
  std::optional<bool> empty;   // pg_relation_size() = 0; only for a leaf not among `known_leaves`
};

struct CatalogSnapshot {
  // Every ordinary and partitioned table outside the system schemas (other sessions' temporary tables excluded),
  // partitions included.
  std::vector<CatalogTableName> tables;
  // The leaf partitions of each of `roots`, by root then OID.
  std::vector<CatalogPartition> partitions;
  // pg_current_wal_insert_lsn(), read after the catalog: every DDL the catalog shows committed below it.
  uint64_t wal_insert_lsn = 0;
};

// `known_leaves`: leaf partitions already accepted; the others get `empty` when `check_new_leaves`.
Result<CatalogSnapshot> read_catalog_snapshot(PgConnection& conn, const std::vector<uint32_t>& roots,
                                              const std::vector<uint32_t>& known_leaves, bool check_new_leaves);

// The number of fractional digits of `money` in this session (lc_monetary's frac_digits, as cash_numeric uses them:
// SELECT scale(0::money::numeric)). Usually 2.
Result<int> money_fraction_digits(PgConnection& conn);

}  // namespace pgs3
