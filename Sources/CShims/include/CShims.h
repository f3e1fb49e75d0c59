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

/// What `cshim_spawn_watched` logs when the program ends: it runs
/// `logger` (a fresh process: nothing of the host's state is used after the
/// fork) as `LOGGER_ARGUMENTS... -p PRIORITY -- MESSAGE`, with one of these
/// messages (the number appended to `exited` and `not_started`).
struct cshim_watch {
  long timeout_ns;
  const char *logger;                 // NULL: nothing is logged
  char *const *logger_arguments;      // argv[0] first, NULL-terminated, at most 24
  const char *sent;                   // exit status 0, at authpriv.info
  const char *exited;                 // + the exit status, at authpriv.err
  const char *signaled;
  const char *timed_out;
  const char *not_started;            // + the errno
};

/// Starts `path` as cshim_spawn does, watched by a process that is not the
/// caller's child, and returns without waiting for either: the caller forks
/// a short-lived process, which forks the watchdog and exits at once (the
/// caller reaps it at once). The watchdog, adopted by init (or the nearest
/// subreaper), starts the program in a process group of its own, kills the
/// group if it runs past `timeout_ns`, and logs how it ended. The program
/// may so outlive the caller's PAM call, but never its time limit.
/// Returns 0, or an errno if nothing was started.
int cshim_spawn_watched(const char *path, char *const argv[], char *const envp[], int stdin_fd,
                        const struct cshim_watch *watch);

/// The host's program name (glibc's program_invocation_short_name), the
/// identity its syslog lines carry unless it chose another.
const char *cshim_program_name(void);

/// The file name of the module (this shared object) without its directory
/// and `.so`, as libpam names it in `pam_syslog` lines, into `buffer`;
/// 0 if unknown or longer than `size`.
int cshim_module_name(char *buffer, size_t size);

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

// Enrolment at the first login (enrolment.c).
enum { CSHIM_QR_NO_LIBRARY = 1, CSHIM_QR_TOO_LONG = 2 };
/// Encodes `text` as a QR code with libqrencode.so.4, loaded now and
/// unloaded again: one byte per module (1: dark), row by row, into
/// `modules`. Returns 0, CSHIM_QR_NO_LIBRARY or CSHIM_QR_TOO_LONG.
int cshim_qr_encode(const char *text, unsigned char *modules, size_t capacity, int *width);
/// Whether USER (primary group `primary`) is in GROUP: 1, 0, or -1 when
/// the group is unknown or cannot be read.
int cshim_user_in_group(const char *user, gid_t primary, const char *group);

#endif
