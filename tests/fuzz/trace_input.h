// What fuzz_trace and fuzz_stream share: byte 0 of an input picks the trace format and the block
// size the text is read through, so one corpus byte means the same in both targets.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "trace/trace.h"

namespace gpuplan::fuzz {

inline void Require(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "invariant broken: %s\n", what);
    abort();
  }
}

struct TraceInput {
  trace::TraceFormat format;
  size_t block_bytes;  // 1..16: every line crosses blocks at some inputs
};

inline TraceInput DecodeTraceByte(uint8_t byte) {
  constexpr trace::TraceFormat kFormats[] = {
      trace::TraceFormat::kGpuplan, trace::TraceFormat::kOpenb, trace::TraceFormat::kSwf,
      trace::TraceFormat::kSacct, trace::TraceFormat::kPai2020};
  constexpr size_t kNum = sizeof(kFormats) / sizeof(kFormats[0]);
  return {kFormats[byte % kNum], 1 + (byte / kNum) % 16};
}

}  // namespace gpuplan::fuzz
