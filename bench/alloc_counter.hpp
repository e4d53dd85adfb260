#pragma once
// The benchmark binary replaces the global operator new and delete
// (alloc_counter.cpp) so that every heap allocation a decision makes shows in
// `allocs_per_decision`, and so that BM_Compile can weigh a compiled policy.
// Counts are per thread: threads of one benchmark never see each other's.

#include <cstdint>

namespace scopegate::bench {

/// Allocations this thread has made through operator new since it started.
std::uint64_t thread_allocations();

/// Heap bytes this thread has allocated minus those it has freed, counting
/// each block at its usable size.
std::int64_t thread_live_bytes();

}  // namespace scopegate::bench
