// Slot identity: whether the replication slot and the database a task finds at start are the ones its checkpoint was
// written against. Streaming from the wrong slot, or from the right slot with an old checkpoint, leaves a silent gap
// (changes the slot confirmed that no file holds) or takes another task's slot away; each case stops the task
// instead, with the fix:
//   - the checkpoint names another database system (IDENTIFY_SYSTEM's systemid) or another database than the source
//     reached now: kBadInput (the connection points elsewhere: a restored or re-created cluster);
//   - in phase "cdc", the slot has confirmed changes past the checkpoint's confirmed LSN (pgs3 confirms only what a
//     saved checkpoint holds, so the slot moved for someone else: it was dropped and created again, another consumer
//     used it, or the checkpoint is an older copy): kSlotLost — the changes between are lost to this task;
//   - a full-load-and-cdc task without a checkpoint finds the slot existing: kBadInput — the slot is not this task's
//     (this task saves its checkpoint before it creates its slot, task/cdc_task.h), so it is not dropped.
//
// Stateless; thread-safe.
#pragma once

#include <optional>

#include "base/status.h"
#include "pg/replication_connection.h"
#include "rules/task_config.h"
#include "state/checkpoint.h"

namespace pgs3 {

// `checkpoint_loaded`: the checkpoint was read from the target (not a fresh one). `slot`: the slot's row, nullopt
// when there is none.
Status check_slot_identity(const TaskConfig& config, const Checkpoint& checkpoint, bool checkpoint_loaded,
                           const SystemIdentity& system, const std::optional<SlotInfo>& slot);

}  // namespace pgs3
