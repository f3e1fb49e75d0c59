// What this process has mapped, from /proc/self/smaps_rollup.
#ifndef BENCH_PROCESS_MEMORY_H
#define BENCH_PROCESS_MEMORY_H

struct process_memory {
  long rss_kib;
  long private_dirty_kib;
};

/// Reads /proc/self/smaps_rollup into a static buffer (no heap, no stdio, so
/// that reading it does not itself change what it measures). 0 on success.
int process_memory_read(struct process_memory *out);

#endif
