// A syslog daemon for the benchmark: binds a Unix datagram socket at PATH
// (normally /dev/log) and reads and discards what arrives. These machines
// have no /dev/log; without one glibc's syslog() falls back to /dev/console
// for GA's LOG_CONS and makes it ten times slower, and a real host always
// has a syslog daemon. Reading promptly matters: a full socket queue would
// block the module that logs.
//
//   syslog_sink PATH     prints "ready" once bound; on SIGTERM
//                        removes PATH and prints "messages=N".
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

static void stop(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: syslog_sink PATH\n");
    return 2;
  }
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  if (strlen(argv[1]) >= sizeof address.sun_path) {
    fprintf(stderr, "syslog_sink: path too long\n");
    return 2;
  }
  strcpy(address.sun_path, argv[1]);
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || bind(sock, (struct sockaddr *)&address, sizeof address) != 0) {
    fprintf(stderr, "syslog_sink: cannot bind %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  chmod(argv[1], 0666);  // as a syslog daemon's socket: anyone may log
  int buffer = 4 << 20;
  setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);

  // No SA_RESTART: the signal interrupts recv and ends the loop. Ctrl-C
  // is left to the driver, which stops the sink when it is done with it.
  struct sigaction action = {.sa_handler = stop};
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  signal(SIGINT, SIG_IGN);
  printf("ready\n");
  fflush(stdout);

  long messages = 0;
  char message[8192];
  while (!stopping) {
    if (recv(sock, message, sizeof message, 0) >= 0) messages++;
    else if (errno != EINTR) break;
  }
  unlink(argv[1]);
  printf("messages=%ld\n", messages);
  return 0;
}
