// The fault layer (see faults.h): `__wrap_` functions for the calls the
// module makes, a plan of which call fails how, a fuzzed wall clock, a
// virtual monotonic clock, deterministic random bytes, and a sandbox that
// stops the process if the module ever writes or runs something outside
// the harness's private directory.
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "faults.h"

// ---------------------------------------------------------------- the plan

static int armed;

struct plan_entry {
  int kind;
  unsigned occurrence;
  int error;
  int sticky;
};

#define PLAN_CAPACITY 16
static struct plan_entry plan[PLAN_CAPACITY];
static size_t plan_count;
static unsigned calls[FAULT_KIND_COUNT];

// A sticky fault on a call the module retries (EINTR, a lock held by
// someone else) would otherwise never let the run end.
#define FAILURE_CAP 4096
static unsigned failures;

#define FIRED_CAPACITY 64
static int fired_kind[FIRED_CAPACITY], fired_error[FIRED_CAPACITY];
static size_t fired_count;

static uint64_t random_state;
// Programs the module started, and how many of them were reaped.
static unsigned spawned_count, reaped_count;

void faults_reset(uint64_t random_seed) {
  armed = 0;
  plan_count = 0;
  memset(calls, 0, sizeof calls);
  failures = 0;
  fired_count = 0;
  random_state = random_seed;
  spawned_count = reaped_count = 0;
}

void faults_plan(int kind, unsigned occurrence, int error, int sticky) {
  if (kind < 0 || kind >= FAULT_KIND_COUNT || plan_count == PLAN_CAPACITY) return;
  plan[plan_count++] = (struct plan_entry){kind, occurrence ? occurrence : 1, error, sticky};
}

size_t faults_fired(int *kinds, int *errors, size_t capacity) {
  for (size_t i = 0; i < fired_count && i < capacity; i++) {
    kinds[i] = fired_kind[i];
    errors[i] = fired_error[i];
  }
  return fired_count;
}

/// Counts a call of `kind`; true (and the error to report) when the plan
/// fails this one.
static int should_fail(int kind, int *error) {
  if (!armed) return 0;
  unsigned call = ++calls[kind];
  if (failures >= FAILURE_CAP) return 0;
  for (size_t i = 0; i < plan_count; i++) {
    const struct plan_entry *entry = &plan[i];
    if (entry->kind != kind) continue;
    if (call == entry->occurrence || (entry->sticky && call > entry->occurrence)) {
      *error = entry->error;
      failures++;
      if (fired_count < FIRED_CAPACITY) {
        fired_kind[fired_count] = kind;
        fired_error[fired_count] = entry->error;
      }
      fired_count++;
      return 1;
    }
  }
  return 0;
}

/// For calls that report failure as -1 and errno.
static int fail_errno(int kind) {
  int error;
  if (!should_fail(kind, &error) || error < 0) return 0;
  errno = error;
  return 1;
}

// ---------------------------------------------------------------- sandbox

static char sandbox_directory[PATH_MAX];
static char sandbox_programs[PATH_MAX];

void faults_sandbox(const char *directory, const char *program_prefix) {
  snprintf(sandbox_directory, sizeof sandbox_directory, "%s", directory);
  snprintf(sandbox_programs, sizeof sandbox_programs, "%s", program_prefix);
}

static void escape(const char *what, const char *path) {
  fprintf(stderr, "==module-faults== INVARIANT outside-sandbox: the module tried to %s %s (outside %s)\n", what, path,
          sandbox_directory);
  abort();
}

/// Stops the process unless `dirfd`/`path` names something inside the
/// sandbox, spelled without `..`.
static void require_inside(int dirfd, const char *path, const char *what) {
  if (!armed || sandbox_directory[0] == 0) return;
  char full[2 * PATH_MAX];
  if (path && path[0] == '/') {
    snprintf(full, sizeof full, "%s", path);
  } else {
    char directory[PATH_MAX] = "";
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t length = dirfd == AT_FDCWD ? -1 : readlink(link, directory, sizeof directory - 1);
    if (length < 0) escape(what, path ? path : "(a descriptor)");
    directory[length] = 0;
    if (path && path[0]) snprintf(full, sizeof full, "%s/%s", directory, path);
    else snprintf(full, sizeof full, "%s", directory);
  }
  size_t length = strlen(sandbox_directory);
  if (strncmp(full, sandbox_directory, length) != 0 || (full[length] != '/' && full[length] != 0) ||
      strstr(full, "/../") || (strlen(full) >= 3 && strcmp(full + strlen(full) - 3, "/..") == 0)) {
    escape(what, full);
  }
}

// ---------------------------------------------------------------- clocks

#define CLOCK_STEPS 16
static int64_t clock_base;
static int64_t clock_deltas[CLOCK_STEPS];
static size_t clock_delta_count;
static size_t clock_read_count;
#define CLOCK_RECORD 64
static int64_t clock_record[CLOCK_RECORD];
// Nanoseconds the module slept: the monotonic clock moves on by them
// without the process waiting.
static long long virtual_sleep_ns;

void faults_clock(int64_t base, const int64_t *deltas, size_t count) {
  clock_base = base;
  clock_delta_count = count < CLOCK_STEPS ? count : CLOCK_STEPS;
  for (size_t i = 0; i < clock_delta_count; i++) clock_deltas[i] = deltas[i];
  clock_read_count = 0;
  virtual_sleep_ns = 0;
}

static int64_t clock_limit;

void faults_clock_limit(int64_t limit) { clock_limit = limit; }

static int64_t clock_value(size_t read) {
  int64_t value = clock_base;
  for (size_t i = 0; i < read && i < clock_delta_count; i++) {
    // Wrapping, as a hostile time source could; the module must cope.
    value = (int64_t)((uint64_t)value + (uint64_t)clock_deltas[i]);
  }
  if (clock_limit > 0 && value > clock_limit) value = clock_limit;
  if (clock_limit > 0 && value < -clock_limit) value = -clock_limit;
  return value;
}

int64_t faults_clock_now(void) { return clock_value(clock_read_count); }

size_t faults_clock_reads(int64_t *values, size_t capacity) {
  for (size_t i = 0; i < clock_read_count && i < capacity && i < CLOCK_RECORD; i++) values[i] = clock_record[i];
  return clock_read_count;
}

extern int __real_clock_gettime(clockid_t clock, struct timespec *time);
int __wrap_clock_gettime(clockid_t clock, struct timespec *time) {
  if (armed && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
    int64_t value = clock_value(clock_read_count);
    if (clock_read_count < CLOCK_RECORD) clock_record[clock_read_count] = value;
    clock_read_count++;
    time->tv_sec = (time_t)value;
    time->tv_nsec = 0;
    return 0;
  }
  int result = __real_clock_gettime(clock, time);
  if (armed && result == 0 && (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_COARSE)) {
    long long ns = (long long)time->tv_nsec + virtual_sleep_ns;
    time->tv_sec += ns / 1000000000LL;
    time->tv_nsec = ns % 1000000000LL;
  }
  return result;
}

extern int __real_nanosleep(const struct timespec *request, struct timespec *remaining);
int __wrap_nanosleep(const struct timespec *request, struct timespec *remaining) {
  if (!armed) return __real_nanosleep(request, remaining);
  virtual_sleep_ns += (long long)request->tv_sec * 1000000000LL + request->tv_nsec;
  if (remaining) remaining->tv_sec = remaining->tv_nsec = 0;
  return 0;
}

// ---------------------------------------------------------------- files

extern int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list arguments;
    va_start(arguments, flags);
    mode = va_arg(arguments, mode_t);
    va_end(arguments);
  }
  if (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) require_inside(dirfd, path, "open for writing");
  if (fail_errno(FAULT_OPEN)) return -1;
  return __real_openat(dirfd, path, flags, mode);
}

extern int __real_fstat(int fd, struct stat *info);
int __wrap_fstat(int fd, struct stat *info) {
  if (fail_errno(FAULT_STAT)) return -1;
  return __real_fstat(fd, info);
}

extern int __real_fstatat(int dirfd, const char *path, struct stat *info, int flags);
int __wrap_fstatat(int dirfd, const char *path, struct stat *info, int flags) {
  if (fail_errno(FAULT_STAT)) return -1;
  return __real_fstatat(dirfd, path, info, flags);
}

extern ssize_t __real_pread(int fd, void *buffer, size_t count, off_t offset);
ssize_t __wrap_pread(int fd, void *buffer, size_t count, off_t offset) {
  int error;
  if (should_fail(FAULT_READ, &error)) {
    if (error != FAULT_SHORT) {
      errno = error;
      return -1;
    }
    if (count > 1) count /= 2;
  }
  return __real_pread(fd, buffer, count, offset);
}

extern ssize_t __real_write(int fd, const void *buffer, size_t count);
ssize_t __wrap_write(int fd, const void *buffer, size_t count) {
  int error;
  if (should_fail(FAULT_WRITE, &error)) {
    if (error != FAULT_SHORT) {
      errno = error;
      return -1;
    }
    if (count > 1) count /= 2;
  }
  return __real_write(fd, buffer, count);
}

extern int __real_fsync(int fd);
int __wrap_fsync(int fd) {
  if (fail_errno(FAULT_FSYNC)) return -1;
  return __real_fsync(fd);
}

extern int __real_fchown(int fd, uid_t owner, gid_t group);
int __wrap_fchown(int fd, uid_t owner, gid_t group) {
  require_inside(fd, NULL, "change the owner of");
  if (fail_errno(FAULT_CHOWN)) return -1;
  return __real_fchown(fd, owner, group);
}

extern int __real_fchmod(int fd, mode_t mode);
int __wrap_fchmod(int fd, mode_t mode) {
  require_inside(fd, NULL, "change the mode of");
  if (fail_errno(FAULT_CHMOD)) return -1;
  return __real_fchmod(fd, mode);
}

extern int __real_flock(int fd, int operation);
int __wrap_flock(int fd, int operation) {
  // Unlocking cannot fail in a way the module could act on.
  if (!(operation & LOCK_UN) && fail_errno(FAULT_LOCK)) return -1;
  return __real_flock(fd, operation);
}

extern int __real_renameat(int from_dir, const char *from, int to_dir, const char *to);
int __wrap_renameat(int from_dir, const char *from, int to_dir, const char *to) {
  require_inside(from_dir, from, "rename");
  require_inside(to_dir, to, "rename onto");
  if (fail_errno(FAULT_RENAME)) return -1;
  return __real_renameat(from_dir, from, to_dir, to);
}

extern int __real_renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags);
int __wrap_renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags) {
  require_inside(from_dir, from, "rename");
  require_inside(to_dir, to, "rename onto");
  if (fail_errno(FAULT_RENAME)) return -1;
  return __real_renameat2(from_dir, from, to_dir, to, flags);
}

extern int __real_unlinkat(int dirfd, const char *path, int flags);
int __wrap_unlinkat(int dirfd, const char *path, int flags) {
  require_inside(dirfd, path, "remove");
  if (fail_errno(FAULT_UNLINK)) return -1;
  return __real_unlinkat(dirfd, path, flags);
}

// ---------------------------------------------------------------- random

/// splitmix64: random-looking, and the same for the same seed, so a saved
/// input replays exactly (sent codes and salts included).
static uint64_t next_random(void) {
  uint64_t z = (random_state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

extern ssize_t __real_getrandom(void *buffer, size_t length, unsigned flags);
ssize_t __wrap_getrandom(void *buffer, size_t length, unsigned flags) {
  if (!armed) return __real_getrandom(buffer, length, flags);
  int error;
  if (should_fail(FAULT_RANDOM, &error)) {
    if (error != FAULT_SHORT) {
      errno = error;
      return -1;
    }
    if (length > 1) length /= 2;
  }
  unsigned char *bytes = buffer;
  for (size_t i = 0; i < length; i++) bytes[i] = (unsigned char)next_random();
  return (ssize_t)length;
}

// ---------------------------------------------------------------- processes

static int deliver_behaviour = DELIVER_EXITS;
#define SPAWN_RECORD 16
static pid_t spawned_pids[SPAWN_RECORD];

void faults_deliver_behaviour(int behaviour) { deliver_behaviour = behaviour; }
unsigned faults_spawned(void) { return spawned_count; }

void faults_reap_children(void) {
  for (unsigned i = reaped_count; i < spawned_count && i < SPAWN_RECORD; i++) {
    kill(-spawned_pids[i], SIGKILL);
    kill(spawned_pids[i], SIGKILL);
    while (waitpid(spawned_pids[i], NULL, 0) < 0 && errno == EINTR) {}
  }
  reaped_count = spawned_count;
}

extern int __real_pipe2(int fds[2], int flags);
int __wrap_pipe2(int fds[2], int flags) {
  if (fail_errno(FAULT_PIPE)) return -1;
  return __real_pipe2(fds, flags);
}

extern int __real_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                              const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]);
int __wrap_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                       const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
  if (armed && (sandbox_programs[0] == 0 || strncmp(path, sandbox_programs, strlen(sandbox_programs)) != 0)) {
    escape("run", path);
  }
  int error;
  if (should_fail(FAULT_SPAWN, &error) && error > 0) return error;
  int result = __real_posix_spawn(pid, path, actions, attributes, argv, envp);
  if (result == 0 && armed) {
    if (spawned_count < SPAWN_RECORD) spawned_pids[spawned_count] = *pid;
    spawned_count++;
  }
  return result;
}

// The file actions and attributes allocate inside glibc; ENOMEM is how a
// failed malloc there reaches the module.
extern int __real_posix_spawn_file_actions_init(posix_spawn_file_actions_t *actions);
int __wrap_posix_spawn_file_actions_init(posix_spawn_file_actions_t *actions) {
  int error;
  if (should_fail(FAULT_SPAWN_SETUP, &error) && error > 0) return error;
  return __real_posix_spawn_file_actions_init(actions);
}

extern int __real_posix_spawnattr_init(posix_spawnattr_t *attributes);
int __wrap_posix_spawnattr_init(posix_spawnattr_t *attributes) {
  int error;
  if (should_fail(FAULT_SPAWN_SETUP, &error) && error > 0) return error;
  return __real_posix_spawnattr_init(attributes);
}

extern int __real_posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *actions, int fd, int new_fd);
int __wrap_posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *actions, int fd, int new_fd) {
  int error;
  if (should_fail(FAULT_SPAWN_SETUP, &error) && error > 0) return error;
  return __real_posix_spawn_file_actions_adddup2(actions, fd, new_fd);
}

extern int __real_posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *actions, int fd, const char *path,
                                                   int flags, mode_t mode);
int __wrap_posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *actions, int fd, const char *path, int flags,
                                            mode_t mode) {
  int error;
  if (should_fail(FAULT_SPAWN_SETUP, &error) && error > 0) return error;
  return __real_posix_spawn_file_actions_addopen(actions, fd, path, flags, mode);
}

extern int __real_posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
int __wrap_posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from) {
  int error;
  if (should_fail(FAULT_SPAWN_SETUP, &error) && error > 0) return error;
  return __real_posix_spawn_file_actions_addclosefrom_np(actions, from);
}

extern pid_t __real_waitpid(pid_t pid, int *status, int options);
pid_t __wrap_waitpid(pid_t pid, int *status, int options) {
  if (fail_errno(FAULT_WAIT)) return -1;
  // A program that exits is waited for: the module's polling must not race
  // it in virtual time. A hanging one is polled, and meets the time limit.
  if (armed && deliver_behaviour == DELIVER_EXITS) options &= ~WNOHANG;
  return __real_waitpid(pid, status, options);
}

// ---------------------------------------------------------------- accounts

extern int __real_getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size,
                             struct passwd **result);
int __wrap_getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size,
                      struct passwd **result) {
  int error;
  if (should_fail(FAULT_PASSWD, &error)) {
    *result = NULL;
    return error == FAULT_NULL || error < 0 ? 0 : error;
  }
  return __real_getpwnam_r(name, entry, buffer, size, result);
}

extern int __real_getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size,
                             struct passwd **result);
int __wrap_getpwuid_r(uid_t uid, struct passwd *entry, char *buffer, size_t size, struct passwd **result) {
  int error;
  if (should_fail(FAULT_PASSWD, &error)) {
    *result = NULL;
    return error == FAULT_NULL || error < 0 ? 0 : error;
  }
  return __real_getpwuid_r(uid, entry, buffer, size, result);
}

// setfsuid cannot report an error: a refused switch leaves the identity
// as it was and returns it. Only a switch to another user can be refused
// (a process without CAP_SETUID); going back to root never fails for a
// process that could leave it, and asking (-1) changes nothing.
extern int __real_setfsuid(uid_t uid);
int __wrap_setfsuid(uid_t uid) {
  int error;
  if (uid != (uid_t)-1 && uid != 0 && should_fail(FAULT_FSID, &error)) return __real_setfsuid((uid_t)-1);
  return __real_setfsuid(uid);
}

extern int __real_setfsgid(gid_t gid);
int __wrap_setfsgid(gid_t gid) {
  int error;
  if (gid != (gid_t)-1 && gid != 0 && should_fail(FAULT_FSID, &error)) return __real_setfsgid((gid_t)-1);
  return __real_setfsgid(gid);
}

// ---------------------------------------------------------------- libpam

extern int __real_pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt);
int __wrap_pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt) {
  int error;
  if (should_fail(FAULT_PAM_USER, &error)) {
    if (user) *user = NULL;
    return error == FAULT_NULL ? PAM_SUCCESS : error;
  }
  // The conversation may run: that is the harness, not the module.
  int was_armed = armed;
  armed = 0;
  int result = __real_pam_get_user(pamh, user, prompt);
  armed = was_armed;
  return result;
}

extern int __real_pam_get_item(const pam_handle_t *pamh, int type, const void **item);
int __wrap_pam_get_item(const pam_handle_t *pamh, int type, const void **item) {
  int error;
  if (should_fail(FAULT_PAM_ITEM, &error)) {
    if (item) *item = NULL;
    return error == FAULT_NULL ? PAM_SUCCESS : error;
  }
  return __real_pam_get_item(pamh, type, item);
}

extern int __real_pam_set_item(pam_handle_t *pamh, int type, const void *item);
int __wrap_pam_set_item(pam_handle_t *pamh, int type, const void *item) {
  int error;
  if (should_fail(FAULT_PAM_SET, &error) && error > 0) return error;
  return __real_pam_set_item(pamh, type, item);
}

extern int __real_pam_vprompt(pam_handle_t *pamh, int style, char **response, const char *format, va_list);
static int prompt(pam_handle_t *pamh, int style, char **response, const char *format, va_list arguments) {
  int error;
  if (should_fail(FAULT_PAM_PROMPT, &error) && error > 0) {
    if (response) *response = NULL;
    return error;
  }
  int was_armed = armed;
  armed = 0;
  int result = __real_pam_vprompt(pamh, style, response, format, arguments);
  armed = was_armed;
  return result;
}

int __wrap_pam_vprompt(pam_handle_t *pamh, int style, char **response, const char *format, va_list arguments) {
  return prompt(pamh, style, response, format, arguments);
}

int __wrap_pam_prompt(pam_handle_t *pamh, int style, char **response, const char *format, ...) {
  va_list arguments;
  va_start(arguments, format);
  int result = prompt(pamh, style, response, format, arguments);
  va_end(arguments);
  return result;
}

// Log lines are kept for the invariants, never sent to syslog: there is
// no /dev/log here, and other tests may be reading one.
#define LOG_CAPACITY 16384
static char log_text[LOG_CAPACITY];
static size_t log_length;

static void keep_log(const char *format, va_list arguments) {
  if (log_length + 2 >= LOG_CAPACITY) return;
  int written = vsnprintf(log_text + log_length, LOG_CAPACITY - log_length - 1, format, arguments);
  if (written < 0) return;
  size_t added = (size_t)written < LOG_CAPACITY - log_length - 1 ? (size_t)written : LOG_CAPACITY - log_length - 2;
  log_length += added;
  log_text[log_length++] = 0;
}

void __wrap_pam_vsyslog(const pam_handle_t *pamh, int priority, const char *format, va_list arguments) {
  (void)pamh;
  (void)priority;
  keep_log(format, arguments);
}

void __wrap_pam_syslog(const pam_handle_t *pamh, int priority, const char *format, ...) {
  (void)pamh;
  (void)priority;
  va_list arguments;
  va_start(arguments, format);
  keep_log(format, arguments);
  va_end(arguments);
}

size_t faults_log(char *buffer, size_t capacity) {
  size_t length = log_length < capacity ? log_length : capacity;
  memcpy(buffer, log_text, length);
  return length;
}

// ---------------------------------------------------------------- the call

static int call_argc;
static const char **call_argv;
static const char *call_authtok;
static const char *call_service;
static int module_status;
static unsigned module_calls;
static unsigned left_fsuid, left_fsgid;

void faults_module_call(int argc, const char **argv, const char *authtok, const char *service) {
  call_argc = argc;
  call_argv = argv;
  call_authtok = authtok;
  call_service = service;
  module_calls = 0;
  module_status = -1;
  left_fsuid = left_fsgid = 0;
  log_length = 0;
}

int faults_module_status(void) { return module_status; }

void faults_identity_left(unsigned *fsuid, unsigned *fsgid) {
  *fsuid = left_fsuid;
  *fsgid = left_fsgid;
}
unsigned faults_module_calls(void) { return module_calls; }

/// Called by the trampoline module from inside libpam's dispatch, so that
/// PAM_AUTHTOK can be set as an earlier module would.
static int module_hook(pam_handle_t *pamh, int flags) {
  const void *service = NULL;
  char original_service[256] = "";
  if (pam_get_item(pamh, PAM_SERVICE, &service) == PAM_SUCCESS && service) {
    snprintf(original_service, sizeof original_service, "%s", (const char *)service);
  }
  if (call_authtok) pam_set_item(pamh, PAM_AUTHTOK, call_authtok);
  if (call_service) pam_set_item(pamh, PAM_SERVICE, call_service);
  armed = 1;
  int status = pam_sm_authenticate(pamh, flags, call_argc, call_argv);
  armed = 0;
  // The thread's file system identity, as the module left it for its
  // host; put back, so that the harness goes on as root whatever happened.
  unsigned fsuid = (unsigned)setfsuid((uid_t)-1), fsgid = (unsigned)setfsgid((gid_t)-1);
  if (fsuid != 0 || fsgid != 0) {
    left_fsuid = fsuid;
    left_fsgid = fsgid;
    setfsuid(0);
    setfsgid(0);
  }
  // libpam loads a stack by service name (a name starting with '/' is a
  // path): a resumed call must load the private stack again, never one
  // the fuzzed name points at.
  if (call_service) pam_set_item(pamh, PAM_SERVICE, original_service);
  module_status = status;
  module_calls++;
  return status;
}

int faults_install_trampoline(const char *path) {
  void *library = dlopen(path, RTLD_NOW);
  if (!library) {
    fprintf(stderr, "module-faults: %s\n", dlerror());
    return -1;
  }
  void (*install)(int (*)(pam_handle_t *, int)) =
      (void (*)(int (*)(pam_handle_t *, int)))dlsym(library, "pam_otp_faultfuzz_set_hook");
  if (!install) {
    fprintf(stderr, "module-faults: %s has no pam_otp_faultfuzz_set_hook\n", path);
    return -1;
  }
  install(module_hook);
  // The handle stays open: libpam's dlclose at pam_end must not unload it.
  return 0;
}
