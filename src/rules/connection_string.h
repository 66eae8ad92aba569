// Connection strings: the checks pgs3 makes on source.connection before handing it to libpq.
//
// The task file must never hold a secret (DESIGN.md §2): the password comes from libpq's own sources (PGPASSWORD,
// ~/.pgpass, PGPASSFILE). Both libpq forms are recognised (libpq-connect "Connection Strings"): keyword/value
// ("host=db password='x'") and URIs ("postgresql://user:secret@db/app?password=x"). Stateless; thread-safe.
#pragma once

#include <string_view>

namespace pgs3 {

// True when `connection` sets a password: the keyword `password` in keyword/value form, or a password in a URI's
// user info or query parameters.
bool connection_has_password(std::string_view connection);

}  // namespace pgs3
