// A PAM application that records everything the user would see.
//
//   transcript_host CONFDIR SERVICE USER NOW [ITEM=VALUE...]
//
// Starts SERVICE from CONFDIR through the real libpam (pam_start_confdir),
// sets the items given (rhost=, tty=, ruser=), and authenticates once. The
// answers come on standard input, one line per prompt, in order; an empty
// line is a pressed Enter. Each message the modules send is printed as one
// line, in the order it came:
//
//   prompt_echo_off HEX     prompt_echo_on HEX     error HEX     info HEX
//
// (HEX: the message's bytes, so any text survives), and a prompt for which
// no answer is left as `hangup` (the user closed the connection: the
// conversation fails). A failure delay a module asked for (pam_fail_delay,
// pam_faildelay) shows as `fail_delay` where libpam would sleep: the host
// does not sleep, and the length, which libpam randomises, is left out.
// Last comes `result CODE`, pam_authenticate's return.
//
// The wall clock is frozen at NOW (Unix seconds) for this process: time(),
// gettimeofday() and clock_gettime(CLOCK_REALTIME*) are defined here and the
// program is linked -rdynamic, so the dlopen'ed modules bind to them. Two
// runs with the same NOW and the same files then make the same decisions,
// to the second. CLOCK_MONOTONIC (lock and delivery time limits) is real.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static time_t frozen_now;

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

time_t time(time_t *out) {
  if (out != NULL) *out = frozen_now;
  return frozen_now;
}

int gettimeofday(struct timeval *restrict tv, void *restrict zone) {
  (void)zone;
  tv->tv_sec = frozen_now;
  tv->tv_usec = 0;
  return 0;
}

int clock_gettime(clockid_t clock, struct timespec *ts) {
  if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
    ts->tv_sec = frozen_now;
    ts->tv_nsec = 0;
    return 0;
  }
  static clock_gettime_fn libc;
  if (libc == NULL) libc = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
  if (libc == NULL) abort();
  return libc(clock, ts);
}

static void print_event(const char *kind, const char *text) {
  printf("%s ", kind);
  for (const unsigned char *byte = (const unsigned char *)text; text != NULL && *byte != 0; byte++) {
    printf("%02x", *byte);
  }
  printf("\n");
  fflush(stdout);
}

/// The next line of standard input without its newline, or NULL at the end.
/// TRANSCRIPT_HOST_THINK_MS: wait that long first, as a person takes time
/// to type (a delivery program started before the prompt then has time to
/// finish before the module's call ends and stops it).
static char *next_answer(void) {
  const char *think = getenv("TRANSCRIPT_HOST_THINK_MS");
  if (think != NULL) {
    long milliseconds = strtol(think, NULL, 10);
    struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    nanosleep(&pause, NULL);
  }
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length = getline(&line, &capacity, stdin);
  if (length < 0) {
    free(line);
    return NULL;
  }
  if (length > 0 && line[length - 1] == '\n') line[length - 1] = 0;
  return line;
}

static int converse(int count, const struct pam_message **messages, struct pam_response **responses,
                    void *data) {
  (void)data;
  struct pam_response *replies = calloc((size_t)count, sizeof *replies);
  if (replies == NULL) return PAM_BUF_ERR;
  for (int index = 0; index < count; index++) {
    const struct pam_message *message = messages[index];
    switch (message->msg_style) {
    case PAM_PROMPT_ECHO_OFF:
    case PAM_PROMPT_ECHO_ON: {
      print_event(message->msg_style == PAM_PROMPT_ECHO_OFF ? "prompt_echo_off" : "prompt_echo_on", message->msg);
      char *answer = next_answer();
      if (answer == NULL) {
        printf("hangup\n");
        fflush(stdout);
        for (int done = 0; done < index; done++) free(replies[done].resp);
        free(replies);
        return PAM_CONV_ERR;
      }
      replies[index].resp = answer;
      break;
    }
    case PAM_ERROR_MSG: print_event("error", message->msg); break;
    case PAM_TEXT_INFO: print_event("info", message->msg); break;
    default: print_event("unknown_style", message->msg); break;
    }
  }
  *responses = replies;
  return PAM_SUCCESS;
}

static void record_fail_delay(int status, unsigned int microseconds, void *data) {
  (void)status;
  (void)microseconds;
  (void)data;
  printf("fail_delay\n");
  fflush(stdout);
}

static int set_item(pam_handle_t *handle, const char *assignment) {
  static const struct { const char *name; int type; } items[] = {
      {"rhost=", PAM_RHOST}, {"tty=", PAM_TTY}, {"ruser=", PAM_RUSER}};
  for (size_t index = 0; index < sizeof items / sizeof items[0]; index++) {
    size_t length = strlen(items[index].name);
    if (strncmp(assignment, items[index].name, length) == 0) {
      return pam_set_item(handle, items[index].type, assignment + length);
    }
  }
  fprintf(stderr, "transcript_host: unknown item %s\n", assignment);
  return PAM_BAD_ITEM;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: transcript_host CONFDIR SERVICE USER NOW [rhost=|tty=|ruser=VALUE...]\n");
    return 2;
  }
  frozen_now = (time_t)atoll(argv[4]);
  struct pam_conv conversation = {converse, NULL};
  pam_handle_t *handle = NULL;
  int status = pam_start_confdir(argv[2], argv[3], &conversation, argv[1], &handle);
  if (status != PAM_SUCCESS) {
    fprintf(stderr, "transcript_host: pam_start_confdir: %d\n", status);
    return 2;
  }
  for (int index = 5; index < argc; index++) {
    if (set_item(handle, argv[index]) != PAM_SUCCESS) return 2;
  }
  void (*delay_function)(int, unsigned int, void *) = record_fail_delay;
  if (pam_set_item(handle, PAM_FAIL_DELAY, (const void *)delay_function) != PAM_SUCCESS) return 2;
  status = pam_authenticate(handle, 0);
  printf("result %d\n", status);
  fflush(stdout);
  pam_end(handle, status);
  return 0;
}
