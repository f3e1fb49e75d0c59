// The benchmark's PAM host: a fresh process that loads a one-line stack
// through the real libpam and authenticates with the right code.
//
//   pam_host dlopen MODULE
//       dlopen(MODULE, RTLD_NOW) as libpam does it, alone; prints dlopen_ns.
//   pam_host cold   CONFDIR SERVICE USER
//       pam_start .. pam_authenticate .. pam_end once; prints each phase and
//       total_ns (pam_start to pam_end).
//   pam_host warm   CONFDIR SERVICE USER COUNT
//       one pam_start, COUNT authentications, pam_end; prints auth_ns of
//       every authentication after the first.
//   pam_host memory CONFDIR SERVICE USER
//       Rss and Private_Dirty added by pam_start + one authentication
//       (before pam_end, which unloads GA and pam_oath again).
//   pam_host refusal CONFDIR SERVICE USER PASSWORD
//       one authentication through a password + code stack that must be
//       refused: the first prompt gets PASSWORD, the second the code. Prints
//       password_to_prompt_ns (password answered -> code prompt shown),
//       answer_to_result_ns (code answered -> pam_authenticate returned) and
//       pam_authenticate_ns.
//
// Standard input: the first TOTP step number, then one code per line for
// that step and the ones after it. Authentication k happens at the fake time
// of step first+k (fake_clock.c) and answers its code. Anything but
// PAM_SUCCESS exits 2 with the reason: a benchmark of failures is worthless.
// In refusal mode the code is a wrong one, and anything but PAM_AUTH_ERR
// after exactly two prompts exits 2: it would time some other path.
//
// This program does not link libcrypto: run bare it is a host like sudo;
// with openssl_ready.so preloaded it is a host like sshd.
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_clock.h"
#include "process_memory.h"

enum { step_seconds = 30, max_codes = 20000 };

static long first_step;
static long code_count;
static char (*codes)[12];
static const char *current_code;

// refusal mode: the first prompt's answer, and when the prompts came and went.
static const char *password_answer;
static int prompt_count;
static long long password_answered_ns, code_prompted_ns, code_answered_ns;

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "pam_host: %s: %s\n", what, detail);
  exit(2);
}

static void read_codes(void) {
  codes = calloc(max_codes, sizeof *codes);
  if (codes == NULL || scanf("%ld", &first_step) != 1) fail("stdin", "expected the first TOTP step");
  while (code_count < max_codes && scanf("%11s", codes[code_count]) == 1) code_count++;
  if (code_count == 0) fail("stdin", "expected at least one code");
}

/// Puts the clock in the middle of the k-th step and picks its code.
static void enter_step(long k) {
  if (k >= code_count) fail("stdin", "more authentications than codes");
  fake_clock_set((time_t)((first_step + k) * step_seconds + step_seconds / 2));
  current_code = codes[k];
}

/// Answers every prompt with the current code; informational messages get
/// no answer. libpam frees the answers.
static int converse(int count, const struct pam_message **messages, struct pam_response **responses,
                    void *unused) {
  (void)unused;
  long long entered = monotonic_ns();
  int asked_password = 0, asked_code = 0;
  struct pam_response *answers = calloc((size_t)count, sizeof *answers);
  if (answers == NULL) return PAM_BUF_ERR;
  for (int i = 0; i < count; i++) {
    int style = messages[i]->msg_style;
    if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
      prompt_count++;
      int password = password_answer != NULL && prompt_count == 1;
      if (password) {
        asked_password = 1;
      } else if (!asked_code) {
        asked_code = 1;
        if (code_prompted_ns == 0) code_prompted_ns = entered;
      }
      answers[i].resp = strdup(password ? password_answer : current_code);
      if (answers[i].resp == NULL) return PAM_BUF_ERR;
    }
  }
  *responses = answers;
  long long left = monotonic_ns();
  if (asked_password) password_answered_ns = left;
  if (asked_code) code_answered_ns = left;
  return PAM_SUCCESS;
}

static const struct pam_conv conversation = {converse, NULL};

static pam_handle_t *start(const char *confdir, const char *service, const char *user) {
  pam_handle_t *pam = NULL;
  int status = pam_start_confdir(service, user, &conversation, confdir, &pam);
  if (status != PAM_SUCCESS) fail("pam_start_confdir", pam_strerror(pam, status));
  return pam;
}

static void authenticate(pam_handle_t *pam) {
  int status = pam_authenticate(pam, 0);
  if (status != PAM_SUCCESS) fail("pam_authenticate", pam_strerror(pam, status));
}

static int run_dlopen(const char *module) {
  long long t0 = monotonic_ns();
  void *handle = dlopen(module, RTLD_NOW);
  long long t1 = monotonic_ns();
  if (handle == NULL) fail("dlopen", dlerror());
  printf("dlopen_ns=%lld\n", t1 - t0);
  return 0;
}

static int run_cold(const char *confdir, const char *service, const char *user) {
  enter_step(0);
  long long t0 = monotonic_ns();
  pam_handle_t *pam = start(confdir, service, user);
  long long t1 = monotonic_ns();
  authenticate(pam);
  long long t2 = monotonic_ns();
  pam_end(pam, PAM_SUCCESS);
  long long t3 = monotonic_ns();
  printf("pam_start_ns=%lld pam_authenticate_ns=%lld pam_end_ns=%lld total_ns=%lld\n", t1 - t0, t2 - t1,
         t3 - t2, t3 - t0);
  return 0;
}

static int run_warm(const char *confdir, const char *service, const char *user, long count) {
  if (count < 2) fail("warm", "COUNT must be at least 2");
  long long *samples = calloc((size_t)count, sizeof *samples);
  if (samples == NULL) fail("warm", "out of memory");
  pam_handle_t *pam = start(confdir, service, user);
  for (long k = 0; k < count; k++) {
    enter_step(k);
    long long t0 = monotonic_ns();
    authenticate(pam);
    samples[k] = monotonic_ns() - t0;
  }
  pam_end(pam, PAM_SUCCESS);
  // The first authentication also initialises the module and OpenSSL:
  // that is the cold path, measured on its own.
  for (long k = 1; k < count; k++) printf("auth_ns=%lld\n", samples[k]);
  return 0;
}

static int run_memory(const char *confdir, const char *service, const char *user) {
  struct process_memory before, after;
  enter_step(0);
  if (process_memory_read(&before) != 0) fail("memory", "cannot read /proc/self/smaps_rollup");
  pam_handle_t *pam = start(confdir, service, user);
  authenticate(pam);
  if (process_memory_read(&after) != 0) fail("memory", "cannot read /proc/self/smaps_rollup");
  pam_end(pam, PAM_SUCCESS);
  printf("rss_kib=%ld private_dirty_kib=%ld\n", after.rss_kib - before.rss_kib,
         after.private_dirty_kib - before.private_dirty_kib);
  return 0;
}

static int run_refusal(const char *confdir, const char *service, const char *user, const char *password) {
  password_answer = password;
  enter_step(0);
  pam_handle_t *pam = start(confdir, service, user);
  long long t0 = monotonic_ns();
  int status = pam_authenticate(pam, 0);
  long long t1 = monotonic_ns();
  if (status == PAM_SUCCESS) fail("refusal", "a wrong code was accepted");
  if (status != PAM_AUTH_ERR) fail("refusal: pam_authenticate", pam_strerror(pam, status));
  if (prompt_count != 2) fail("refusal", "expected two prompts: the password, then the code");
  printf("password_to_prompt_ns=%lld answer_to_result_ns=%lld pam_authenticate_ns=%lld\n",
         code_prompted_ns - password_answered_ns, t1 - code_answered_ns, t1 - t0);
  pam_end(pam, status);
  return 0;
}

int main(int argc, char **argv) {
  const char *usage = "usage: pam_host dlopen MODULE | cold|memory CONFDIR SERVICE USER"
                      " | warm CONFDIR SERVICE USER COUNT | refusal CONFDIR SERVICE USER PASSWORD";
  if (argc == 3 && strcmp(argv[1], "dlopen") == 0) return run_dlopen(argv[2]);
  if (argc < 5) fail("arguments", usage);
  const char *mode = argv[1], *confdir = argv[2], *service = argv[3], *user = argv[4];
  read_codes();
  if (argc == 5 && strcmp(mode, "cold") == 0) return run_cold(confdir, service, user);
  if (argc == 5 && strcmp(mode, "memory") == 0) return run_memory(confdir, service, user);
  if (argc == 6 && strcmp(mode, "warm") == 0) return run_warm(confdir, service, user, atol(argv[5]));
  if (argc == 6 && strcmp(mode, "refusal") == 0) return run_refusal(confdir, service, user, argv[5]);
  fail("arguments", usage);
  return 2;
}
