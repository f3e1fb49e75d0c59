// The calls that glibc declares only under _GNU_SOURCE. Defining it here,
// and not in the header, keeps the header's view of glibc identical to
// Swift's Glibc module (see CShims.h).
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
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
