#include "task/slot_identity.h"

#include "model/lsn.h"

namespace pgs3 {

Status check_slot_identity(const TaskConfig& config, const Checkpoint& checkpoint, bool checkpoint_loaded,
                           const SystemIdentity& system, const std::optional<SlotInfo>& slot) {
  const std::string task = "task \"" + config.task_id + "\"";
  const std::string name = "replication slot \"" + config.source.slot_name + "\"";
  if (checkpoint_loaded && !checkpoint.system_identifier.empty() && checkpoint.system_identifier != system.system_id) {
    return Status::bad_input("the checkpoint of " + task + " was written for database system " +
                             checkpoint.system_identifier + ", but source.connection reaches database system " +
                             system.system_id +
                             " (another cluster, or one restored from a backup): point "
                             "source.connection back at the task's source, or drop the task (pgs3 drop "
                             "--purge-target) and run it again with a full load");
  }
  if (checkpoint_loaded && !checkpoint.database.empty() && checkpoint.database != system.database) {
    return Status::bad_input("the checkpoint of " + task + " was written for database \"" + checkpoint.database +
                             "\", but source.connection reaches database \"" + system.database +
                             "\": set dbname back in source.connection, or drop the task and run it again");
  }
  if (checkpoint_loaded && checkpoint.phase == CheckpointPhase::kCdc && slot &&
      slot->confirmed_flush_lsn.value() > checkpoint.confirmed_lsn) {
    return Status::slot_lost(
        name + " has confirmed changes up to " + slot->confirmed_flush_lsn.to_string() + ", past the checkpoint of " +
        task + " (" + Lsn(checkpoint.confirmed_lsn).to_string() +
        "): the slot was created again, used by another consumer, or the checkpoint is an older copy, so the "
        "changes between are in no file and the slot will not send them again. Restore the newest checkpoint if "
        "it exists; otherwise drop the task (pgs3 drop --purge-target) and run it again with a full load");
  }
  if (!checkpoint_loaded && slot && config.migration_type == MigrationType::kFullLoadAndCdc) {
    return Status::bad_input(
        name + " already exists, but " + task +
        " has no checkpoint in the target, so it did not create it: it may be "
        "another task's slot, and pgs3 does not drop it. Set source.slotName to a name of this task's own, or, if the "
        "slot is nobody's, drop it: SELECT pg_drop_replication_slot('" +
        config.source.slot_name + "');");
  }
  return Status::ok();
}

}  // namespace pgs3
