#include "task/source_connection_log.h"

#include "base/log.h"

namespace pgs3 {

void log_source_connection(const PgConnection& connection, bool warn_unverified) {
  const ConnectionSettings settings = connection.settings();
  log_info("PostgreSQL connection (" + connection.describe() + "): " + settings.text);
  if (warn_unverified && !settings.server_verified) {
    log_warn(settings.unverified_reason() + "; fix: " + ConnectionSettings::kVerifyFix);
  }
}

}  // namespace pgs3
