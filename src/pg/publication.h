// Publication: the set of tables whose changes the slot's stream carries (pgoutput's publication_names).
//
// ensure_publication() creates the task's publication when it does not exist:
//   CREATE PUBLICATION "name" FOR TABLE t1, t2, ... WITH (publish_via_partition_root = true)
// (a partitioned table's changes then arrive under the root, as the full load reads it). Creating it needs
// ownership of every table (or superuser); the server's refusal is passed on with the fix.
// When the publication exists, it is checked, not changed: every selected table must be published (a table it
// lacks is kBadInput naming the tables and the ALTER PUBLICATION ... ADD TABLE command: changes of such a table
// would be silently missing), and it must publish inserts, updates, deletes and truncates (otherwise kBadInput
// naming the ALTER PUBLICATION ... SET (publish = ...) fix). Tables it publishes beyond the selection are ignored
// by the stream (a FOR ALL TABLES publication is accepted).
//
// Thread-safety: free functions over a connection, used by one thread at a time.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "pg/catalog.h"

namespace pgs3 {

class PgConnection;

// Returns true when it created the publication, false when it existed and passed the checks.
Result<bool> ensure_publication(PgConnection& conn, const std::string& name, const std::vector<SourceTable>& tables);

}  // namespace pgs3
