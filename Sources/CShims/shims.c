// The calls that glibc declares only under _GNU_SOURCE. Defining it here,
// and not in the header, keeps the header's view of glibc identical to
// Swift's Glibc module (see CShims.h).
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
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
