// The wall clock the modules see inside pam_host (see fake_clock.c).
#ifndef BENCH_FAKE_CLOCK_H
#define BENCH_FAKE_CLOCK_H
#include <time.h>

/// From now on time() and clock_gettime(CLOCK_REALTIME) answer `now`.
void fake_clock_set(time_t now);

/// CLOCK_MONOTONIC from libc, in nanoseconds (never the fake clock).
long long monotonic_ns(void);

#endif
