#include "process_memory.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long field_kib(const char *text, const char *name) {
  const char *at = strstr(text, name);
  if (at == NULL) return -1;
  return strtol(at + strlen(name), NULL, 10);
}

int process_memory_read(struct process_memory *out) {
  static char text[8192];
  int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t total = 0, got;
  while ((got = read(fd, text + total, sizeof text - 1 - (size_t)total)) > 0) total += got;
  close(fd);
  if (got < 0) return -1;
  text[total] = '\0';
  out->rss_kib = field_kib(text, "\nRss:");
  out->private_dirty_kib = field_kib(text, "\nPrivate_Dirty:");
  return (out->rss_kib < 0 || out->private_dirty_kib < 0) ? -1 : 0;
}
