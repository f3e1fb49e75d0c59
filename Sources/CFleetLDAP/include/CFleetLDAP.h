// The fleet store's LDAP calls, for the module and otpctl. Why C: libldap
// must not be linked into the module (a host without `ldap=` loads none of
// its 12 libraries), so it is dlopen'ed on first use and reached through
// function pointers, which Swift cannot call as declared in ldap.h; and
// the handle's options are set here, all of them, because libldap would
// otherwise take them from /etc/ldap/ldap.conf and ~/.ldaprc.
//
// Every call returns an LDAP result code (0: success; 122: the assertion
// did not hold) or a negative libldap code (-1 server down, -5 timeout,
// -11 connect error), or CFLEET_NO_LIBRARY.
#ifndef PAM_OTP_CFLEETLDAP_H
#define PAM_OTP_CFLEETLDAP_H
#include <stddef.h>

#define CFLEET_NO_LIBRARY (-1000)
#define CFLEET_UNSAFE_FILE (-1001)

typedef struct cfleet_ldap cfleet_ldap;

struct cfleet_connect {
  const char *uri;           // one URI: ldap://, ldaps:// or ldapi://
  int start_tls;             // StartTLS before anything else (ldap://)
  const char *ca_file;       // trusted CAs; certificates are always checked
  const char *cert_file;     // client certificate (SASL EXTERNAL over TLS), or NULL
  const char *key_file;
  int sasl_external;         // bind with SASL EXTERNAL instead of a simple bind
  const char *bind_dn;       // simple bind; NULL: anonymous
  const char *bind_pw;
  long timeout_ms;           // each operation (LDAP_OPT_TIMEOUT)
  long network_timeout_ms;   // connecting (LDAP_OPT_NETWORK_TIMEOUT)
};

/// Connects, StartTLS, binds. On success *out is the handle.
int cfleet_open(const struct cfleet_connect *connect, cfleet_ldap **out);
void cfleet_close(cfleet_ldap *ld);

/// A subtree (scope 2) or base (scope 0) search. The entries come back in
/// one malloc'ed buffer: for each entry 'E' len DN, then for each attribute
/// 'A' len NAME and for each of its values 'V' len BYTES; len is 4 bytes,
/// big-endian. Free it with cfleet_free.
int cfleet_search(cfleet_ldap *ld, const char *base, int scope, const char *filter, const char *const *attributes,
                  long timeout_ms, int size_limit, unsigned char **buffer, size_t *length);
void cfleet_free(void *buffer);

/// One modification: op 0 add, 1 delete, 2 replace, 3 increment (RFC 4525).
struct cfleet_mod {
  int op;
  const char *attribute;
  const unsigned char *value;  // NULL with op 1: delete all values
  size_t length;
};

/// One modify, guarded by the Assertion control (RFC 4528, critical) when
/// `assertion` is a filter: the server applies it only if the entry matches.
int cfleet_modify(cfleet_ldap *ld, const char *dn, const struct cfleet_mod *mods, int count, const char *assertion,
                  long timeout_ms);

/// Adds an entry (otpctl): mods with op 0.
int cfleet_add(cfleet_ldap *ld, const char *dn, const struct cfleet_mod *mods, int count, long timeout_ms);
int cfleet_delete(cfleet_ldap *ld, const char *dn, long timeout_ms);

/// The server's diagnostic message of the last operation (or ""), copied.
void cfleet_diagnostic(cfleet_ldap *ld, char *text, size_t size);
/// libldap's text for a result code; "libldap not found" for CFLEET_NO_LIBRARY.
const char *cfleet_error_text(int code);

/// Reads a configuration file that holds a bind password: a regular file
/// owned by root, no access for group or others, not a symlink, at most
/// `size` bytes. Returns the length, or CFLEET_UNSAFE_FILE / -errno.
long cfleet_read_private_file(const char *path, unsigned char *buffer, size_t size);

/// Whether libldap was loaded into this process (for the tests' checks).
int cfleet_library_loaded(void);

#endif
