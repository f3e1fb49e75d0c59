// A wall clock the benchmark controls. With reuse protection on, two
// successful logins need two different TOTP steps, so every authentication
// happens one step (30 s) after the previous one and answers that step's
// code. GA and liboath (under pam_oath) ask time(); pam_otp asks
// clock_gettime(CLOCK_REALTIME). pam_host is linked with -rdynamic, so these
// definitions come first in the global scope and the dlopen'ed modules bind
// to them. Until fake_clock_set is called both pass through to libc (a
// preloaded library's constructor may read the clock before main).
#define _GNU_SOURCE
#include "fake_clock.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static time_t fake_now;
static int fake_clock_on;

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn libc_clock_gettime(void) {
  static clock_gettime_fn real;
  if (real == NULL) {
    real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
    if (real == NULL) {
      fprintf(stderr, "pam_host: libc's clock_gettime not found: %s\n", dlerror());
      abort();
    }
  }
  return real;
}

// Resolved before main so that no measured call pays for the dlsym.
__attribute__((constructor)) static void resolve_libc_clock(void) { (void)libc_clock_gettime(); }

void fake_clock_set(time_t now) {
  fake_now = now;
  fake_clock_on = 1;
}

time_t time(time_t *out) {
  time_t now;
  if (fake_clock_on) {
    now = fake_now;
  } else {
    struct timespec ts;
    libc_clock_gettime()(CLOCK_REALTIME, &ts);
    now = ts.tv_sec;
  }
  if (out != NULL) *out = now;
  return now;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
  if (fake_clock_on && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
    ts->tv_sec = fake_now;
    ts->tv_nsec = 0;
    return 0;
  }
  return libc_clock_gettime()(clock, ts);
}

long long monotonic_ns(void) {
  struct timespec ts;
  libc_clock_gettime()(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
