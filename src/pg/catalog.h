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

// The number of fractional digits of `money` in this session (lc_monetary's frac_digits, as cash_numeric uses them:
// SELECT scale(0::money::numeric)). Usually 2.
Result<int> money_fraction_digits(PgConnection& conn);

}  // namespace pgs3
