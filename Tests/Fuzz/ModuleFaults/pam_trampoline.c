// A PAM module that hands pam_sm_authenticate on to a hook in the fuzz
// binary. libpam cannot load the binary itself (it is an executable, not a
// shared object), and calling pam_otp's entry point directly, outside
// libpam's dispatch, would make PAM_AUTHTOK unreadable and unsettable, as
// it is for applications. Through this module pam_otp runs inside a real
// stack, with libpam's view of who is calling.
#include <security/pam_modules.h>

typedef int (*pam_otp_faultfuzz_hook)(pam_handle_t *pamh, int flags);
static pam_otp_faultfuzz_hook hook;

__attribute__((visibility("default"))) void pam_otp_faultfuzz_set_hook(pam_otp_faultfuzz_hook installed) {
  hook = installed;
}

__attribute__((visibility("default"))) int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                                               const char **argv) {
  (void)argc;
  (void)argv;
  return hook ? hook(pamh, flags) : PAM_SERVICE_ERR;
}

__attribute__((visibility("default"))) int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                                                          const char **argv) {
  (void)pamh;
  (void)flags;
  (void)argc;
  (void)argv;
  return PAM_SUCCESS;
}
