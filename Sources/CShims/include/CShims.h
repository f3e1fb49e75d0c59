// libc for Swift code that must also build in Embedded Swift, where
// `import Glibc` does not exist. Variadic calls (open, fcntl) and the errno
// macro cannot be imported into Swift at all, so each gets a one-line shim.
//
// This header must not define _GNU_SOURCE: glibc's types would then differ
// from those of Swift's own Glibc module and of OpenSSL's headers, and clang
// refuses to merge them. The GNU-only calls live in shims.c instead.
#ifndef PAM_OTP_CSHIMS_H
#define PAM_OTP_CSHIMS_H
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline int cshim_errno(void) { return errno; }

static inline int cshim_openat(int dirfd, const char *path, int flags, mode_t mode) {
  return openat(dirfd, path, flags, mode);
}

/// Opens a directory for path walking only (O_PATH | O_DIRECTORY | O_NOFOLLOW
/// | O_CLOEXEC): it needs search permission, not read permission.
int cshim_open_directory_path(int dirfd, const char *name);

/// renameat2 with RENAME_NOREPLACE when `no_replace` is set, else renameat.
int cshim_rename(int dirfd, const char *from, const char *to, int no_replace);

/// getrandom(2): the kernel CSPRNG.
long cshim_getrandom(void *buffer, size_t length);

/// Starts `path` with `argv` and `envp` (no shell), standard input from
/// `stdin_fd`, standard output and error to /dev/null, no other descriptor
/// of the host open, all signals at their defaults and unblocked, in a
/// process group of its own (its pid). Returns 0 and the pid, or an errno.
int cshim_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, pid_t *pid);

/// An exclusive flock(2) on `fd`, waiting at most `timeout_ns` and woken as
/// soon as the lock is released. Returns 0, ETIMEDOUT or another errno.
int cshim_flock_exclusive(int fd, long timeout_ns);

/// pipe2 with O_CLOEXEC.
int cshim_pipe(int fds[2]);

// The user's file system identity, for opening files in their home directory.
// setfsuid reports the previous id whether or not it changed anything, so the
// caller confirms the change by calling it again.
static inline int cshim_setfsuid(uid_t uid) { return setfsuid(uid); }
static inline int cshim_setfsgid(gid_t gid) { return setfsgid(gid); }

static inline int cshim_is_reg(mode_t mode) { return S_ISREG(mode); }
static inline int cshim_is_dir(mode_t mode) { return S_ISDIR(mode); }
static inline int cshim_is_lnk(mode_t mode) { return S_ISLNK(mode); }

static inline int cshim_wifexited(int status) { return WIFEXITED(status); }
static inline int cshim_wexitstatus(int status) { return WEXITSTATUS(status); }

static inline long cshim_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static inline long long cshim_realtime_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec;
}

static inline void cshim_sleep_ns(long ns) {
  struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

#endif
