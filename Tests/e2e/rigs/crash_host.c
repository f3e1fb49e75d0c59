// A PAM application that can be killed in the middle of an authentication.
//
//   crash_host CONFDIR SERVICE USER ANSWER KILL_AFTER_NS
//
// Starts SERVICE from CONFDIR through the real libpam (pam_start_confdir),
// answers every prompt with ANSWER, and authenticates once. With
// KILL_AFTER_NS > 0 a timer sends the process SIGKILL that many nanoseconds
// after pam_authenticate was entered: the kernel delivers it wherever the
// module happens to be (reading, locking, writing, fsync, rename), with
// microsecond precision that a kill from another process could not give.
//
// Prints "result CODE elapsed_ns NS" once pam_authenticate has returned; a
// process that printed it was not killed before it reported the result.
#define _GNU_SOURCE
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *answer;

static int converse(int count, const struct pam_message **messages, struct pam_response **responses,
                    void *data) {
  (void)data;
  struct pam_response *replies = calloc((size_t)count, sizeof *replies);
  if (replies == NULL) return PAM_BUF_ERR;
  for (int index = 0; index < count; index++) {
    int style = messages[index]->msg_style;
    if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) replies[index].resp = strdup(answer);
  }
  *responses = replies;
  return PAM_SUCCESS;
}

static long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

/// Arms a one-shot timer that delivers SIGKILL to this process.
static void arm_kill(long long after_ns) {
  struct sigevent event;
  memset(&event, 0, sizeof event);
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGKILL;
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) {
    perror("crash_host: timer_create");
    exit(2);
  }
  struct itimerspec when;
  memset(&when, 0, sizeof when);
  when.it_value.tv_sec = (time_t)(after_ns / 1000000000LL);
  when.it_value.tv_nsec = (long)(after_ns % 1000000000LL);
  if (timer_settime(timer, 0, &when, NULL) != 0) {
    perror("crash_host: timer_settime");
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: crash_host CONFDIR SERVICE USER ANSWER KILL_AFTER_NS\n");
    return 2;
  }
  answer = argv[4];
  long long kill_after = atoll(argv[5]);
  struct pam_conv conversation = {converse, NULL};
  pam_handle_t *handle = NULL;
  int status = pam_start_confdir(argv[2], argv[3], &conversation, argv[1], &handle);
  if (status != PAM_SUCCESS) {
    fprintf(stderr, "crash_host: pam_start_confdir: %d\n", status);
    return 2;
  }
  long long started = monotonic_ns();
  if (kill_after > 0) arm_kill(kill_after);
  status = pam_authenticate(handle, 0);
  long long elapsed = monotonic_ns() - started;
  // One write(2), so the line is either in the pipe whole or not at all.
  char line[80];
  int length = snprintf(line, sizeof line, "result %d elapsed_ns %lld\n", status, elapsed);
  fwrite(line, 1, (size_t)length, stdout);
  fflush(stdout);
  pam_end(handle, status);
  return 0;
}
