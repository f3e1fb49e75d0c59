// Linux-PAM for Swift. pam_syslog, pam_prompt and pam_info are variadic and
// cannot be called from Swift; these shims pass a fixed "%s" format so that
// no text from a user or a file is ever read as a format string.
#ifndef PAM_OTP_CPAM_H
#define PAM_OTP_CPAM_H

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

static inline void cpam_syslog(const pam_handle_t *pamh, int priority, const char *message) {
  pam_syslog(pamh, priority, "%s", message);
}

static inline int cpam_prompt(pam_handle_t *pamh, int style, char **response, const char *text) {
  return pam_prompt(pamh, style, response, "%s", text);
}

// PAM items are `const void *`; these name the type each item really has.
static inline int cpam_get_string_item(const pam_handle_t *pamh, int item, const char **value) {
  return pam_get_item(pamh, item, (const void **)value);
}

static inline int cpam_set_string_item(pam_handle_t *pamh, int item, const char *value) {
  return pam_set_item(pamh, item, (const void *)value);
}

#endif
