// See include/CFleetLDAP.h. The library is loaded once per process and
// never unloaded (RTLD_NODELETE): GnuTLS keeps global state that must not
// be torn down under a host that goes on running.
#define LDAP_DEPRECATED 0
#include "CFleetLDAP.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <lber.h>
#include <ldap.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct cfleet_ldap {
  LDAP *ld;
};

// The calls used, looked up by name in the loaded library.
static struct {
  int (*initialize)(LDAP **, const char *);
  int (*set_option)(LDAP *, int, const void *);
  int (*get_option)(LDAP *, int, void *);
  int (*start_tls_s)(LDAP *, LDAPControl **, LDAPControl **);
  int (*sasl_bind_s)(LDAP *, const char *, const char *, struct berval *, LDAPControl **, LDAPControl **,
                     struct berval **);
  int (*unbind_ext_s)(LDAP *, LDAPControl **, LDAPControl **);
  int (*search_ext_s)(LDAP *, const char *, int, const char *, char **, int, LDAPControl **, LDAPControl **,
                      struct timeval *, int, LDAPMessage **);
  LDAPMessage *(*first_entry)(LDAP *, LDAPMessage *);
  LDAPMessage *(*next_entry)(LDAP *, LDAPMessage *);
  char *(*get_dn)(LDAP *, LDAPMessage *);
  char *(*first_attribute)(LDAP *, LDAPMessage *, BerElement **);
  char *(*next_attribute)(LDAP *, LDAPMessage *, BerElement *);
  struct berval **(*get_values_len)(LDAP *, LDAPMessage *, const char *);
  void (*value_free_len)(struct berval **);
  void (*memfree)(void *);
  void (*ber_free)(BerElement *, int);
  int (*msgfree)(LDAPMessage *);
  int (*modify_ext_s)(LDAP *, const char *, LDAPMod **, LDAPControl **, LDAPControl **);
  int (*add_ext_s)(LDAP *, const char *, LDAPMod **, LDAPControl **, LDAPControl **);
  int (*delete_ext_s)(LDAP *, const char *, LDAPControl **, LDAPControl **);
  int (*create_assertion_control_value)(LDAP *, char *, struct berval *);
  int (*control_create)(const char *, int, struct berval *, int, LDAPControl **);
  void (*control_free)(LDAPControl *);
  char *(*err2string)(int);
} api;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;

static void load(void) {
  // Debian 12 ships libldap-2.5.so.0; later releases libldap.so.2.
  static const char *const names[] = {"libldap-2.5.so.0", "libldap.so.2"};
  void *library = NULL;
  for (size_t index = 0; index < sizeof names / sizeof names[0] && library == NULL; index++) {
    library = dlopen(names[index], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  }
  if (library == NULL) return;
#define LOOK(field, name)                                  \
  if ((*(void **)&api.field = dlsym(library, name)) == NULL) return;
  LOOK(initialize, "ldap_initialize")
  LOOK(set_option, "ldap_set_option")
  LOOK(get_option, "ldap_get_option")
  LOOK(start_tls_s, "ldap_start_tls_s")
  LOOK(sasl_bind_s, "ldap_sasl_bind_s")
  LOOK(unbind_ext_s, "ldap_unbind_ext_s")
  LOOK(search_ext_s, "ldap_search_ext_s")
  LOOK(first_entry, "ldap_first_entry")
  LOOK(next_entry, "ldap_next_entry")
  LOOK(get_dn, "ldap_get_dn")
  LOOK(first_attribute, "ldap_first_attribute")
  LOOK(next_attribute, "ldap_next_attribute")
  LOOK(get_values_len, "ldap_get_values_len")
  LOOK(value_free_len, "ldap_value_free_len")
  LOOK(memfree, "ldap_memfree")
  LOOK(ber_free, "ber_free")
  LOOK(msgfree, "ldap_msgfree")
  LOOK(modify_ext_s, "ldap_modify_ext_s")
  LOOK(add_ext_s, "ldap_add_ext_s")
  LOOK(delete_ext_s, "ldap_delete_ext_s")
  LOOK(create_assertion_control_value, "ldap_create_assertion_control_value")
  LOOK(control_create, "ldap_control_create")
  LOOK(control_free, "ldap_control_free")
  LOOK(err2string, "ldap_err2string")
#undef LOOK
  loaded = 1;
}

int cfleet_library_loaded(void) { return loaded; }

static struct timeval milliseconds(long ms) {
  if (ms < 1) ms = 1;
  struct timeval value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  return value;
}

static int set_timeout(LDAP *ld, long ms) {
  struct timeval value = milliseconds(ms);
  return api.set_option(ld, LDAP_OPT_TIMEOUT, &value);
}

int cfleet_open(const struct cfleet_connect *connect, cfleet_ldap **out) {
  *out = NULL;
  pthread_once(&load_once, load);
  if (!loaded) return CFLEET_NO_LIBRARY;
  LDAP *ld = NULL;
  int rc = api.initialize(&ld, connect->uri);
  if (rc != LDAP_SUCCESS) return rc;
  // Every option that ldap.conf or ~/.ldaprc could set and that matters
  // here is set on the handle, so no file of the host changes our checks.
  int version = LDAP_VERSION3;
  int off = 0;
  // LDAP_OPT_ON names a symbol of liblber, which is not linked: any
  // non-NULL pointer means on.
  static const int on = 1;
  int never = LDAP_DEREF_NEVER;
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;
  int zero = 0;
  struct timeval network = milliseconds(connect->network_timeout_ms);
  struct timeval operation = milliseconds(connect->timeout_ms);
  if ((rc = api.set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_RESTART, &on)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_DEREF, &never)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_SIZELIMIT, &zero)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_TIMELIMIT, &zero)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &network)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_TIMEOUT, &operation)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) != LDAP_OPT_SUCCESS ||
      (rc = api.set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12)) != LDAP_OPT_SUCCESS ||
      (connect->ca_file && (rc = api.set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, connect->ca_file)) != LDAP_OPT_SUCCESS) ||
      (connect->cert_file && (rc = api.set_option(ld, LDAP_OPT_X_TLS_CERTFILE, connect->cert_file)) != LDAP_OPT_SUCCESS) ||
      (connect->key_file && (rc = api.set_option(ld, LDAP_OPT_X_TLS_KEYFILE, connect->key_file)) != LDAP_OPT_SUCCESS) ||
      // The TLS options take effect in a new context, made before the
      // handshake (without it StartTLS fails with -11).
      (rc = api.set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &off)) != LDAP_OPT_SUCCESS) {
    api.unbind_ext_s(ld, NULL, NULL);
    return rc < 0 ? rc : LDAP_LOCAL_ERROR;
  }
  (void)off;
  if (connect->start_tls && (rc = api.start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
    api.unbind_ext_s(ld, NULL, NULL);
    return rc;
  }
  struct berval empty = {0, NULL};
  if (connect->sasl_external) {
    rc = api.sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
  } else if (connect->bind_dn != NULL) {
    struct berval password = {connect->bind_pw ? strlen(connect->bind_pw) : 0, (char *)connect->bind_pw};
    rc = api.sasl_bind_s(ld, connect->bind_dn, LDAP_SASL_SIMPLE, &password, NULL, NULL, NULL);
  } else {
    rc = LDAP_SUCCESS;
  }
  if (rc != LDAP_SUCCESS) {
    api.unbind_ext_s(ld, NULL, NULL);
    return rc;
  }
  struct cfleet_ldap *handle = malloc(sizeof *handle);
  if (handle == NULL) {
    api.unbind_ext_s(ld, NULL, NULL);
    return LDAP_NO_MEMORY;
  }
  handle->ld = ld;
  *out = handle;
  return LDAP_SUCCESS;
}

void cfleet_close(cfleet_ldap *handle) {
  if (handle == NULL) return;
  api.unbind_ext_s(handle->ld, NULL, NULL);
  free(handle);
}

void cfleet_free(void *buffer) { free(buffer); }

struct output {
  unsigned char *bytes;
  size_t length, capacity;
  int failed;
};

static void put(struct output *out, unsigned char kind, const void *bytes, size_t length) {
  if (out->failed) return;
  if (length > 0x7fffffff || out->length + 5 + length < out->length) {
    out->failed = 1;
    return;
  }
  size_t needed = out->length + 5 + length;
  if (needed > out->capacity) {
    size_t capacity = out->capacity ? out->capacity : 1024;
    while (capacity < needed) capacity *= 2;
    unsigned char *grown = realloc(out->bytes, capacity);
    if (grown == NULL) {
      out->failed = 1;
      return;
    }
    out->bytes = grown;
    out->capacity = capacity;
  }
  unsigned char *at = out->bytes + out->length;
  at[0] = kind;
  at[1] = (unsigned char)(length >> 24);
  at[2] = (unsigned char)(length >> 16);
  at[3] = (unsigned char)(length >> 8);
  at[4] = (unsigned char)length;
  if (length) memcpy(at + 5, bytes, length);
  out->length = needed;
}

int cfleet_search(cfleet_ldap *handle, const char *base, int scope, const char *filter, const char *const *attributes,
                  long timeout_ms, int size_limit, unsigned char **buffer, size_t *length) {
  *buffer = NULL;
  *length = 0;
  LDAP *ld = handle->ld;
  set_timeout(ld, timeout_ms);
  struct timeval limit = milliseconds(timeout_ms);
  LDAPMessage *result = NULL;
  int rc = api.search_ext_s(ld, base, scope, filter, (char **)attributes, 0, NULL, NULL, &limit, size_limit, &result);
  if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
    if (result) api.msgfree(result);
    return rc;
  }
  struct output out = {0};
  for (LDAPMessage *entry = result ? api.first_entry(ld, result) : NULL; entry; entry = api.next_entry(ld, entry)) {
    char *dn = api.get_dn(ld, entry);
    if (dn == NULL) continue;
    put(&out, 'E', dn, strlen(dn));
    api.memfree(dn);
    BerElement *ber = NULL;
    for (char *name = api.first_attribute(ld, entry, &ber); name; name = api.next_attribute(ld, entry, ber)) {
      put(&out, 'A', name, strlen(name));
      struct berval **values = api.get_values_len(ld, entry, name);
      for (size_t index = 0; values && values[index]; index++) {
        put(&out, 'V', values[index]->bv_val, values[index]->bv_len);
      }
      if (values) api.value_free_len(values);
      api.memfree(name);
    }
    if (ber) api.ber_free(ber, 0);
  }
  if (result) api.msgfree(result);
  if (out.failed) {
    // The values may hold a secret: cleared before they are freed.
    if (out.bytes) explicit_bzero(out.bytes, out.capacity);
    free(out.bytes);
    return LDAP_NO_MEMORY;
  }
  *buffer = out.bytes;
  *length = out.length;
  return LDAP_SUCCESS;
}

static int build_mods(const struct cfleet_mod *mods, int count, LDAPMod *storage, LDAPMod **list,
                      struct berval *values, struct berval **value_lists) {
  for (int index = 0; index < count; index++) {
    storage[index].mod_op = mods[index].op | LDAP_MOD_BVALUES;
    storage[index].mod_type = (char *)mods[index].attribute;
    if (mods[index].value != NULL) {
      values[index].bv_len = mods[index].length;
      values[index].bv_val = (char *)mods[index].value;
      value_lists[2 * index] = &values[index];
      value_lists[2 * index + 1] = NULL;
      storage[index].mod_bvalues = &value_lists[2 * index];
    } else {
      storage[index].mod_bvalues = NULL;
    }
    list[index] = &storage[index];
  }
  list[count] = NULL;
  return 0;
}

enum { max_mods = 16 };

int cfleet_modify(cfleet_ldap *handle, const char *dn, const struct cfleet_mod *mods, int count, const char *assertion,
                  long timeout_ms) {
  if (count < 1 || count > max_mods) return LDAP_PARAM_ERROR;
  LDAP *ld = handle->ld;
  LDAPMod storage[max_mods];
  LDAPMod *list[max_mods + 1];
  struct berval values[max_mods];
  struct berval *value_lists[2 * max_mods];
  build_mods(mods, count, storage, list, values, value_lists);
  set_timeout(ld, timeout_ms);
  LDAPControl *control = NULL;
  LDAPControl *controls[2] = {NULL, NULL};
  if (assertion != NULL) {
    struct berval value = {0, NULL};
    int rc = api.create_assertion_control_value(ld, (char *)assertion, &value);
    if (rc != LDAP_SUCCESS) return rc;
    // Critical: a server that does not know the control must refuse the
    // modify, not apply it unguarded.
    rc = api.control_create(LDAP_CONTROL_ASSERT, 1, &value, 1, &control);
    api.memfree(value.bv_val);
    if (rc != LDAP_SUCCESS) return rc;
    controls[0] = control;
  }
  int rc = api.modify_ext_s(ld, dn, list, control ? controls : NULL, NULL);
  if (control) api.control_free(control);
  return rc;
}

int cfleet_add(cfleet_ldap *handle, const char *dn, const struct cfleet_mod *mods, int count, long timeout_ms) {
  if (count < 1 || count > max_mods) return LDAP_PARAM_ERROR;
  // Consecutive values of one attribute (objectClass) become one LDAPMod.
  LDAPMod storage[max_mods];
  LDAPMod *list[max_mods + 1];
  struct berval values[max_mods];
  struct berval *value_lists[2 * max_mods];
  int used = 0, next_value = 0;
  for (int index = 0; index < count; index++) {
    if (mods[index].value == NULL) return LDAP_PARAM_ERROR;
    values[index].bv_len = mods[index].length;
    values[index].bv_val = (char *)mods[index].value;
    if (used == 0 || strcasecmp(storage[used - 1].mod_type, mods[index].attribute) != 0) {
      if (used > 0) value_lists[next_value++] = NULL;
      storage[used].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
      storage[used].mod_type = (char *)mods[index].attribute;
      storage[used].mod_bvalues = &value_lists[next_value];
      list[used] = &storage[used];
      used++;
    }
    value_lists[next_value++] = &values[index];
  }
  value_lists[next_value] = NULL;
  list[used] = NULL;
  set_timeout(handle->ld, timeout_ms);
  return api.add_ext_s(handle->ld, dn, list, NULL, NULL);
}

int cfleet_delete(cfleet_ldap *handle, const char *dn, long timeout_ms) {
  set_timeout(handle->ld, timeout_ms);
  return api.delete_ext_s(handle->ld, dn, NULL, NULL);
}

void cfleet_diagnostic(cfleet_ldap *handle, char *text, size_t size) {
  if (size == 0) return;
  text[0] = 0;
  char *message = NULL;
  if (handle && api.get_option(handle->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS && message) {
    strncpy(text, message, size - 1);
    text[size - 1] = 0;
    api.memfree(message);
  }
}

const char *cfleet_error_text(int code) {
  if (code == CFLEET_NO_LIBRARY) return "libldap not found";
  if (code == CFLEET_UNSAFE_FILE) return "unsafe file";
  if (!loaded) return "unknown error";
  const char *text = api.err2string(code);
  return text ? text : "unknown error";
}

long cfleet_read_private_file(const char *path, unsigned char *buffer, size_t size) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno == ELOOP ? CFLEET_UNSAFE_FILE : -errno;
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != 0 || (info.st_mode & 077) != 0 ||
      (size_t)info.st_size > size) {
    close(fd);
    return CFLEET_UNSAFE_FILE;
  }
  size_t total = 0;
  while (total < size) {
    ssize_t got = read(fd, buffer + total, size - total);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int error = errno;
      close(fd);
      return -error;
    }
    if (got == 0) break;
    total += (size_t)got;
  }
  close(fd);
  return (long)total;
}
