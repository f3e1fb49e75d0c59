/*
 * A tiny NSS passwd module for the end-to-end tests: one account, known
 * under several spellings, as SSSD with `case_sensitive = false` or a
 * directory with `NAME@DOMAIN` logins does it.
 *
 * nss_wrapper (libnss-wrapper) loads it into an unmodified program:
 *   LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=FILE NSS_WRAPPER_GROUP=FILE
 *   NSS_WRAPPER_MODULE_SO_PATH=/path/nss_fold.so NSS_WRAPPER_MODULE_FN_PREFIX=fold
 * and the account comes from the environment:
 *   NSS_FOLD_ENTRY="name:x:uid:gid:gecos:home:shell"   (a passwd(5) line)
 *   NSS_FOLD_DOMAIN=example.test                        (optional)
 *
 * getpwnam_r answers for the name in any case, and for NAME@DOMAIN (the
 * name and the domain each in any case); getpwuid_r for the uid. Both
 * return the entry as given: pw_name is the account's own name, never the
 * spelling that was asked for. Anything else is NSS_STATUS_NOTFOUND, so a
 * name no spelling matches is unknown. The group database is not served.
 *
 * Build: cc -shared -fPIC -o nss_fold.so nss_fold.c
 */

#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

struct entry {
  const char *name, *passwd, *gecos, *home, *shell;
  size_t name_length, passwd_length, gecos_length, home_length, shell_length;
  uid_t uid;
  gid_t gid;
};

/* One field of TEXT up to the next ':' (or the end); advances TEXT. */
static const char *field(const char **text, size_t *length) {
  const char *start = *text;
  const char *colon = strchr(start, ':');
  *length = colon ? (size_t)(colon - start) : strlen(start);
  *text = colon ? colon + 1 : start + *length;
  return start;
}

static int number(const char *text, size_t length, unsigned long *value) {
  if (length == 0 || length > 10) return 0;
  unsigned long result = 0;
  for (size_t i = 0; i < length; i++) {
    if (text[i] < '0' || text[i] > '9') return 0;
    result = result * 10 + (unsigned long)(text[i] - '0');
  }
  if (result >= 0xFFFFFFFFul) return 0;
  *value = result;
  return 1;
}

/* The account from NSS_FOLD_ENTRY; 0 when it is missing or malformed. */
static int load(struct entry *entry) {
  const char *text = getenv("NSS_FOLD_ENTRY");
  if (text == NULL) return 0;
  size_t uid_length, gid_length;
  entry->name = field(&text, &entry->name_length);
  entry->passwd = field(&text, &entry->passwd_length);
  const char *uid = field(&text, &uid_length);
  const char *gid = field(&text, &gid_length);
  entry->gecos = field(&text, &entry->gecos_length);
  entry->home = field(&text, &entry->home_length);
  entry->shell = field(&text, &entry->shell_length);
  unsigned long uid_value, gid_value;
  if (entry->name_length == 0 || !number(uid, uid_length, &uid_value) || !number(gid, gid_length, &gid_value))
    return 0;
  entry->uid = (uid_t)uid_value;
  entry->gid = (gid_t)gid_value;
  return 1;
}

/* Whether NAME is a spelling of the account: its name in any case, or
 * NAME@DOMAIN with NSS_FOLD_DOMAIN. */
static int matches(const struct entry *entry, const char *name) {
  size_t length = strlen(name);
  if (length == entry->name_length && strncasecmp(name, entry->name, length) == 0) return 1;
  const char *domain = getenv("NSS_FOLD_DOMAIN");
  if (domain == NULL || domain[0] == '\0') return 0;
  size_t domain_length = strlen(domain);
  return length == entry->name_length + 1 + domain_length && strncasecmp(name, entry->name, entry->name_length) == 0 &&
         name[entry->name_length] == '@' && strcasecmp(name + entry->name_length + 1, domain) == 0;
}

static char *copy(char **buffer, size_t *left, const char *text, size_t length) {
  if (*left < length + 1) return NULL;
  char *start = *buffer;
  memcpy(start, text, length);
  start[length] = '\0';
  *buffer += length + 1;
  *left -= length + 1;
  return start;
}

static enum nss_status fill(const struct entry *entry, struct passwd *result, char *buffer, size_t size,
                            int *errnop) {
  char *cursor = buffer;
  size_t left = size;
  result->pw_name = copy(&cursor, &left, entry->name, entry->name_length);
  result->pw_passwd = copy(&cursor, &left, entry->passwd, entry->passwd_length);
  result->pw_gecos = copy(&cursor, &left, entry->gecos, entry->gecos_length);
  result->pw_dir = copy(&cursor, &left, entry->home, entry->home_length);
  result->pw_shell = copy(&cursor, &left, entry->shell, entry->shell_length);
  if (!result->pw_name || !result->pw_passwd || !result->pw_gecos || !result->pw_dir || !result->pw_shell) {
    *errnop = ERANGE;
    return NSS_STATUS_TRYAGAIN;
  }
  result->pw_uid = entry->uid;
  result->pw_gid = entry->gid;
  return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_fold_getpwnam_r(const char *name, struct passwd *result, char *buffer, size_t size,
                                     int *errnop) {
  struct entry entry;
  if (name == NULL || !load(&entry) || !matches(&entry, name)) {
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
  }
  return fill(&entry, result, buffer, size, errnop);
}

enum nss_status _nss_fold_getpwuid_r(uid_t uid, struct passwd *result, char *buffer, size_t size, int *errnop) {
  struct entry entry;
  if (!load(&entry) || entry.uid != uid) {
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
  }
  return fill(&entry, result, buffer, size, errnop);
}

/* Enumeration and the group database: nss_wrapper binds these too; the
 * account is found by name or uid only, and groups come from its files. */
enum nss_status _nss_fold_setpwent(int stayopen) {
  (void)stayopen;
  return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_fold_getpwent_r(struct passwd *result, char *buffer, size_t size, int *errnop) {
  (void)result, (void)buffer, (void)size;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_fold_endpwent(void) { return NSS_STATUS_SUCCESS; }

enum nss_status _nss_fold_initgroups_dyn(const char *user, gid_t group, long int *start, long int *size,
                                         gid_t **groups, long int limit, int *errnop) {
  (void)user, (void)group, (void)start, (void)size, (void)groups, (void)limit;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_fold_getgrnam_r(const char *name, struct group *result, char *buffer, size_t size,
                                     int *errnop) {
  (void)name, (void)result, (void)buffer, (void)size;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_fold_getgrgid_r(gid_t gid, struct group *result, char *buffer, size_t size, int *errnop) {
  (void)gid, (void)result, (void)buffer, (void)size;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_fold_setgrent(int stayopen) {
  (void)stayopen;
  return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_fold_getgrent_r(struct group *result, char *buffer, size_t size, int *errnop) {
  (void)result, (void)buffer, (void)size;
  *errnop = ENOENT;
  return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_fold_endgrent(void) { return NSS_STATUS_SUCCESS; }
