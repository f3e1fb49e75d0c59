// The calls that glibc declares only under _GNU_SOURCE. Defining it here,
// and not in the header, keeps the header's view of glibc identical to
// Swift's Glibc module (see CShims.h).
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>
#include <spawn.h>
#include <dlfcn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <unistd.h>
#include "CShims.h"

int cshim_open_directory_path(int dirfd, const char *name) {
  return openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int cshim_rename(int dirfd, const char *from, const char *to, int no_replace) {
  if (no_replace) return renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE);
  return renameat(dirfd, from, dirfd, to);
}

long cshim_getrandom(void *buffer, size_t length) {
  return (long)getrandom(buffer, length, 0);
}

int cshim_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cshim_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, pid_t *pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int error = posix_spawn_file_actions_init(&actions);
  if (error) return error;
  error = posix_spawnattr_init(&attributes);
  if (error) {
    posix_spawn_file_actions_destroy(&actions);
    return error;
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  // sshd and sudo block or catch signals; the command must start clean.
  if (!error) error = posix_spawnattr_setsigmask(&attributes, &none);
  if (!error) error = posix_spawnattr_setsigdefault(&attributes, &all);
  // Its own process group, so that a time limit can kill what it started too.
  if (!error) error = posix_spawnattr_setpgroup(&attributes, 0);
  if (!error) error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  if (!error) error = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  if (!error) error = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  if (!error) error = posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The host's own descriptors (its sockets, its logs) are not the command's.
  if (!error) error = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!error) error = posix_spawn(pid, path, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error;
}

// The watched start of a notify= program. The watchdog is a fork of the
// host (sshd, sudo), so before anything else it drops what is the host's:
// its session and terminal, its signal handlers (a SIGCHLD handler of the
// host's would reap the program behind its back) and its descriptors (a
// client's socket held here would keep the connection open). It is forked
// from a fork with _Fork, which runs no atfork handlers of the host's, and
// the host's own fork() leaves malloc usable in the children.

static size_t watch_append(char *buffer, size_t used, size_t size, const char *text) {
  while (text && *text && used + 1 < size) buffer[used++] = *text++;
  buffer[used] = '\0';
  return used;
}

static size_t watch_append_number(char *buffer, size_t used, size_t size, long number) {
  char digits[24];
  int count = 0;
  unsigned long value = number < 0 ? 0UL - (unsigned long)number : (unsigned long)number;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value && count < 23);
  if (number < 0 && used + 1 < size) buffer[used++] = '-';
  while (count > 0 && used + 1 < size) buffer[used++] = digits[--count];
  buffer[used] = '\0';
  return used;
}

// Ends the watchdog by logging MESSAGE (with NUMBER if `with_number`).
static void watch_report(const struct cshim_watch *watch, int failed, const char *message, long number,
                         int with_number) {
  if (!watch->logger || !message) _exit(0);
  char text[4096];
  size_t used = watch_append(text, 0, sizeof text, message);
  if (with_number) watch_append_number(text, used, sizeof text, number);
  char *arguments[32];
  int count = 0;
  for (char *const *argument = watch->logger_arguments; argument && *argument && count < 24; argument++) {
    arguments[count++] = *argument;
  }
  arguments[count++] = "-p";
  arguments[count++] = failed ? "authpriv.err" : "authpriv.info";
  arguments[count++] = "--";
  arguments[count++] = text;
  arguments[count] = NULL;
  char *environment[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
  execve(watch->logger, arguments, environment);
  _exit(127);
}

static long watch_now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long)now.tv_sec * 1000000000L + now.tv_nsec;
}

static void watchdog(const char *path, char *const argv[], char *const envp[], int stdin_fd,
                     const struct cshim_watch *watch) {
  long deadline = watch_now_ns() + watch->timeout_ns;
  setsid();
  prctl(PR_SET_NAME, "pam_otp-notify", 0, 0, 0);
  // It holds a copy of the host's memory until logger replaces it: no core.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  struct sigaction standard;
  memset(&standard, 0, sizeof standard);
  standard.sa_handler = SIG_DFL;
  for (int number = 1; number < NSIG; number++) sigaction(number, &standard, NULL);
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_SETMASK, &child, NULL);
  if (stdin_fd != 0 && dup2(stdin_fd, 0) != 0) _exit(1);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2) _exit(1);
  // glibc falls back to /proc/self/fd where the kernel lacks close_range.
  closefrom(3);

  pid_t pid = 0;
  int error = cshim_spawn(path, argv, envp, 0, &pid);
  // The program has its input; logger gets none.
  int empty = open("/dev/null", O_RDONLY);
  if (empty > 0) {
    dup2(empty, 0);
    close(empty);
  }
  if (error) watch_report(watch, 1, watch->not_started, error, 1);

  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) _exit(1);
    long remaining = deadline - watch_now_ns();
    if (remaining <= 0) {
      // The whole group: a script's curl or msmtp must not go on alone.
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      watch_report(watch, 1, watch->timed_out, 0, 0);
    }
    struct timespec wait = { remaining / 1000000000L, remaining % 1000000000L };
    sigtimedwait(&child, NULL, &wait);
  }
  if (!WIFEXITED(status)) watch_report(watch, 1, watch->signaled, 0, 0);
  if (WEXITSTATUS(status) != 0) watch_report(watch, 1, watch->exited, WEXITSTATUS(status), 1);
  watch_report(watch, 0, watch->sent, 0, 0);
}

int cshim_spawn_watched(const char *path, char *const argv[], char *const envp[], int stdin_fd,
                        const struct cshim_watch *watch) {
  pid_t intermediate = fork();
  if (intermediate < 0) return errno;
  if (intermediate == 0) {
    pid_t watcher = _Fork();
    if (watcher == 0) {
      watchdog(path, argv, envp, stdin_fd, watch);
      _exit(0);
    }
    _exit(watcher < 0 ? 1 : 0);
  }
  int status = 0;
  pid_t done;
  while ((done = waitpid(intermediate, &status, 0)) < 0 && errno == EINTR) {}
  // Reaped by a SIGCHLD handler of the host's: the watchdog most likely runs.
  if (done == intermediate && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) return EAGAIN;
  return 0;
}

const char *cshim_program_name(void) { return program_invocation_short_name; }

int cshim_module_name(char *buffer, size_t size) {
  Dl_info info;
  if (!dladdr((void *)cshim_module_name, &info) || !info.dli_fname) return 0;
  const char *base = strrchr(info.dli_fname, '/');
  base = base ? base + 1 : info.dli_fname;
  size_t length = strlen(base);
  if (length >= 3 && strcmp(base + length - 3, ".so") == 0) length -= 3;
  if (length == 0 || length >= size) return 0;
  memcpy(buffer, base, length);
  buffer[length] = '\0';
  return 1;
}

// flock(2) with a deadline. A blocking flock is woken by the kernel the
// moment the lock is released, so waiters are served as it comes free; a
// loop of LOCK_NB and sleeps misses every release that falls in its sleep
// and let one login starve while others came and went. Nothing interrupts
// a blocking flock but a signal, and a module has no business with its
// host's signals, so the blocking call runs on a thread of its own while
// the caller waits for it with a deadline.

enum { LOCK_WAITING, LOCK_TAKEN, LOCK_FAILED, LOCK_ABANDONED };

struct lock_wait {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int descriptor;  // the waiting thread's own duplicate of the caller's
  int state;
  int error;
  int references;  // the caller and the thread
};

static void lock_wait_release(struct lock_wait *wait) {
  pthread_mutex_lock(&wait->mutex);
  int last = --wait->references == 0;
  pthread_mutex_unlock(&wait->mutex);
  if (!last) return;
  // The duplicate shares the caller's open file description: closing it
  // does not release a lock that the caller now holds.
  close(wait->descriptor);
  pthread_cond_destroy(&wait->changed);
  pthread_mutex_destroy(&wait->mutex);
  free(wait);
}

static void *lock_wait_thread(void *argument) {
  struct lock_wait *wait = argument;
  int result;
  do {
    result = flock(wait->descriptor, LOCK_EX);
  } while (result != 0 && errno == EINTR);
  int error = result == 0 ? 0 : errno;
  pthread_mutex_lock(&wait->mutex);
  if (wait->state == LOCK_ABANDONED) {
    // The caller gave up: the lock it no longer wants must not stay held.
    if (result == 0) flock(wait->descriptor, LOCK_UN);
  } else {
    wait->state = result == 0 ? LOCK_TAKEN : LOCK_FAILED;
    wait->error = error;
    pthread_cond_signal(&wait->changed);
  }
  pthread_mutex_unlock(&wait->mutex);
  lock_wait_release(wait);
  return NULL;
}

int cshim_flock_exclusive(int fd, long timeout_ns) {
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
  if (errno != EWOULDBLOCK && errno != EINTR) return errno;

  struct lock_wait *wait = calloc(1, sizeof *wait);
  if (!wait) return ENOMEM;
  wait->descriptor = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (wait->descriptor < 0) {
    int error = errno;
    free(wait);
    return error;
  }
  pthread_condattr_t condition_attributes;
  pthread_condattr_init(&condition_attributes);
  pthread_condattr_setclock(&condition_attributes, CLOCK_MONOTONIC);
  pthread_cond_init(&wait->changed, &condition_attributes);
  pthread_condattr_destroy(&condition_attributes);
  pthread_mutex_init(&wait->mutex, NULL);
  wait->state = LOCK_WAITING;
  wait->references = 2;

  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  // The thread inherits this mask: the host's signals stay with the host's
  // own threads.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_t thread;
  int error = pthread_create(&thread, &attributes, lock_wait_thread, wait);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  pthread_attr_destroy(&attributes);
  if (error) {
    wait->references = 1;
    lock_wait_release(wait);
    return error;
  }

  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_ns / 1000000000L;
  deadline.tv_nsec += timeout_ns % 1000000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&wait->mutex);
  while (wait->state == LOCK_WAITING) {
    if (pthread_cond_timedwait(&wait->changed, &wait->mutex, &deadline) == ETIMEDOUT
        && wait->state == LOCK_WAITING) {
      wait->state = LOCK_ABANDONED;
    }
  }
  int result = wait->state == LOCK_TAKEN ? 0 : wait->state == LOCK_FAILED ? wait->error : ETIMEDOUT;
  pthread_mutex_unlock(&wait->mutex);
  lock_wait_release(wait);
  return result;
}
