// Internals of the policies: the loops over an ordered queue that several policies share.
#pragma once

#include <vector>

#include "sim/engine.h"

namespace gpuplan::sim::detail {

// Starts jobs from the front of an ordered queue while they fit, passing over jobs whose tenant
// is at its quota. Returns the first job that does not fit (the blocking head), or end().
// `job_of` maps a queue entry to its JobIdx.
template <typename Queue, typename JobOf>
typename Queue::iterator StartFromFront(Engine& engine, Queue& queue, JobOf job_of) {
  auto it = queue.begin();
  while (it != queue.end()) {
    const StartResult r = engine.TryStart(job_of(*it));
    if (r == StartResult::kStarted) {
      it = queue.erase(it);
    } else if (r == StartResult::kOverQuota) {
      ++it;
    } else {
      break;
    }
  }
  return it;
}

// Whether some pool has a partly used shared GPU (a fractional job may fit without free GPUs).
inline bool HasSharedRoom(const Engine& engine) {
  for (const Pool& p : engine.cluster().pools()) {
    if (!p.partial.empty()) return true;
  }
  return false;
}

// Empties the queue, returning its jobs in queue order.
template <typename Queue, typename JobOf>
std::vector<JobIdx> DrainInOrder(Queue& queue, JobOf job_of) {
  std::vector<JobIdx> out;
  out.reserve(queue.size());
  for (const auto& e : queue) out.push_back(job_of(e));
  queue.clear();
  return out;
}

}  // namespace gpuplan::sim::detail
