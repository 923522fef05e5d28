// Activity ids: 64-bit, unique per activity.
#ifndef CCTV_CORE_ID_GENERATOR_H_
#define CCTV_CORE_ID_GENERATOR_H_

#include "cctv/activity.h"

namespace cctv::core {

// Returns a new id, never kNoId. Ids are unique within this process (each
// thread takes blocks from one counter that starts at a random 64-bit
// value) and, across processes, collide only if two processes' counters meet
// on the same target in the same microsecond. Consecutive ids from one thread
// increase, so one thread's activities in the same microsecond keep their
// order. A child of fork() starts a new random counter and drops the
// forking thread's block, so it never hands out the ids its parent goes on
// with. Thread-safe and wait-free on the common path.
ActivityId next_id() noexcept;

}  // namespace cctv::core

#endif  // CCTV_CORE_ID_GENERATOR_H_
