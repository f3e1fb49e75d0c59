// What enrolment at the first login needs from C: libqrencode, loaded only
// when someone enrols (normal logins never map it), and group membership.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "CShims.h"

// libqrencode 4's ABI (qrencode.h), declared here so that nothing links it.
struct cshim_qrcode {
  int version;
  int width;
  unsigned char *data;
};
typedef struct cshim_qrcode *(*cshim_qr_encode_string_fn)(const char *, int, int, int, int);
typedef void (*cshim_qr_free_fn)(struct cshim_qrcode *);
enum { CSHIM_QR_ECLEVEL_M = 1, CSHIM_QR_MODE_8 = 2 };

int cshim_qr_encode(const char *text, unsigned char *modules, size_t capacity, int *width) {
  void *library = dlopen("libqrencode.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) return CSHIM_QR_NO_LIBRARY;
  cshim_qr_encode_string_fn encode = (cshim_qr_encode_string_fn)dlsym(library, "QRcode_encodeString");
  cshim_qr_free_fn release = (cshim_qr_free_fn)dlsym(library, "QRcode_free");
  if (encode == NULL || release == NULL) {
    dlclose(library);
    return CSHIM_QR_NO_LIBRARY;
  }
  int result = CSHIM_QR_TOO_LONG;
  // Error correction M, byte mode, case-sensitive: what otpctl draws.
  struct cshim_qrcode *symbol = encode(text, 0, CSHIM_QR_ECLEVEL_M, CSHIM_QR_MODE_8, 1);
  if (symbol != NULL && symbol->width > 0) {
    size_t size = (size_t)symbol->width * (size_t)symbol->width;
    if (size <= capacity) {
      for (size_t i = 0; i < size; i++) modules[i] = symbol->data[i] & 1;
      *width = symbol->width;
      result = 0;
    }
    // The symbol encodes the secret.
    explicit_bzero(symbol->data, size);
  }
  if (symbol != NULL) release(symbol);
  dlclose(library);
  return result;
}

int cshim_user_in_group(const char *user, gid_t primary, const char *group) {
  struct group entry, *found = NULL;
  size_t size = 4096;
  char *buffer = NULL;
  int status;
  for (;;) {
    char *grown = realloc(buffer, size);
    if (grown == NULL) {
      free(buffer);
      return -1;
    }
    buffer = grown;
    status = getgrnam_r(group, &entry, buffer, size, &found);
    if (status != ERANGE || size >= (1u << 20)) break;
    size *= 4;
  }
  if (status != 0 || found == NULL) {
    free(buffer);
    return -1;
  }
  gid_t gid = entry.gr_gid;
  int member = gid == primary;
  for (char **name = entry.gr_mem; !member && name != NULL && *name != NULL; name++) {
    member = strcmp(*name, user) == 0;
  }
  free(buffer);
  if (member) return 1;
  // Supplementary groups from every NSS source (LDAP, SSSD), not only
  // the member list /etc/group spells out.
  int count = 64;
  for (int round = 0; round < 4; round++) {
    gid_t *groups = malloc(sizeof(gid_t) * (size_t)count);
    if (groups == NULL) return -1;
    int wanted = count;
    if (getgrouplist(user, primary, groups, &wanted) >= 0) {
      for (int i = 0; i < wanted; i++) member |= groups[i] == gid;
      free(groups);
      return member;
    }
    free(groups);
    count = wanted > count ? wanted : count * 4;
  }
  return -1;
}
