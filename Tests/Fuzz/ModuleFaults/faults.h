// The fault layer of the module-faults fuzz target: the system, as the
// module sees it, under the fuzzer's control.
//
// The fuzz binary is linked with `--wrap=SYMBOL` for each call below, so
// every reference to SYMBOL in the binary's own objects (the module's Swift
// code, its C shims, the harness) goes to `__wrap_SYMBOL` in faults.c
// instead. libc, libpam and the sanitizer runtime are shared objects and
// keep their own calls. While the layer is armed (only while the module's
// `pam_sm_authenticate` runs, never while the harness itself works) each
// wrapper counts its calls and fails the ones the plan names; disarmed, it
// passes every call through unchanged.
#ifndef PAM_OTP_MODULE_FAULTS_H
#define PAM_OTP_MODULE_FAULTS_H

#include <stddef.h>
#include <stdint.h>

/// The calls a plan can fail. Each kind counts its own calls.
enum fault_kind {
  FAULT_OPEN,      // openat
  FAULT_STAT,      // fstat, fstatat
  FAULT_READ,      // pread
  FAULT_WRITE,     // write
  FAULT_FSYNC,     // fsync
  FAULT_CHOWN,     // fchown
  FAULT_CHMOD,     // fchmod
  FAULT_LOCK,      // flock
  FAULT_RENAME,    // renameat, renameat2
  FAULT_UNLINK,    // unlinkat
  FAULT_RANDOM,    // getrandom
  FAULT_PIPE,      // pipe2
  FAULT_SPAWN,     // posix_spawn
  FAULT_SPAWN_SETUP,  // posix_spawn_file_actions_*, posix_spawnattr_init (what glibc's malloc failing returns)
  FAULT_WAIT,      // waitpid
  FAULT_PASSWD,    // getpwnam_r, getpwuid_r
  FAULT_FSID,      // setfsuid, setfsgid (a refused switch changes nothing)
  FAULT_PAM_USER,  // pam_get_user
  FAULT_PAM_ITEM,  // pam_get_item
  FAULT_PAM_SET,   // pam_set_item
  FAULT_PAM_PROMPT,  // pam_prompt (what a failed malloc inside libpam returns)
  FAULT_KIND_COUNT
};

/// Pseudo error numbers for behaviours that are not a failure with errno.
enum {
  /// read, write, getrandom: do part of the work and report that part.
  FAULT_SHORT = -1,
  /// getpwnam_r, getpwuid_r: no such entry; pam_get_item, pam_get_user:
  /// PAM_SUCCESS with a NULL value.
  FAULT_NULL = -2,
};

/// The deliver= program the harness installed, by behaviour. Decides how
/// waitpid is played: a program that exits is waited for, so that the
/// module's polling never races it; a hanging one meets the module's
/// time limit, which passes in the layer's virtual monotonic time.
enum deliver_behaviour { DELIVER_EXITS, DELIVER_HANGS };

/// Forgets the last run's plan, counters and records.
void faults_reset(uint64_t random_seed);

/// The `occurrence`-th call (from 1) of `kind` fails with `error` (an errno,
/// a PAM status for the pam_* kinds, or FAULT_SHORT/FAULT_NULL). With
/// `sticky`, every later call of that kind fails too. At most 16 entries.
void faults_plan(int kind, unsigned occurrence, int error, int sticky);

/// The wall clock the module reads (CLOCK_REALTIME): `base` at the first
/// read, then `base` plus the sum of the first k deltas at read k.
void faults_clock(int64_t base, const int64_t *deltas, size_t count);
/// Keeps every value within [-limit, limit] (0: no limit), for runs that
/// explore past the known traps at clock values near the ends of Int64.
void faults_clock_limit(int64_t limit);
/// The value the next read would return without advancing, for the
/// conversation (what time the user sees when typing a code).
int64_t faults_clock_now(void);
/// The values the module read, oldest first; returns how many in total.
size_t faults_clock_reads(int64_t *values, size_t capacity);

/// The faults that fired: kind and error of each, oldest first.
size_t faults_fired(int *kinds, int *errors, size_t capacity);

/// Refuses (aborts the process) any write by the module outside `directory`,
/// and any program it starts whose path does not start with `program_prefix`.
void faults_sandbox(const char *directory, const char *program_prefix);
void faults_deliver_behaviour(int behaviour);
/// Programs started (successfully) since the last reset.
unsigned faults_spawned(void);
/// Kills and reaps what the module started and left behind.
void faults_reap_children(void);

/// The log lines the module sent to pam_syslog since the reset, NUL-separated.
size_t faults_log(char *buffer, size_t capacity);

/// What the trampoline module hands to pam_otp: the module's arguments,
/// and the items an earlier module of a real stack would have set.
void faults_module_call(int argc, const char **argv, const char *authtok, const char *service);
/// Registers the hook with the trampoline module (pam_trampoline.c), which
/// libpam loads from the private stack. Returns 0, or -1 with a message.
int faults_install_trampoline(const char *path);
/// The status pam_otp's pam_sm_authenticate returned at its last call, and
/// how many times it was called since the reset.
int faults_module_status(void);
/// The thread's file system identity (setfsuid, setfsgid) when the module
/// returned, if it was not root's; 0 and 0 otherwise.
void faults_identity_left(unsigned *fsuid, unsigned *fsgid);
unsigned faults_module_calls(void);

/// libFuzzer's own mutation of a byte buffer, for the custom mutator.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t capacity);

#endif
