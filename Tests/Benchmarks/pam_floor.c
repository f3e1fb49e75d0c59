// A reference, not a peer: the least a PAM module that depends on libcrypto
// can cost. It asks for the code once (like the others) and computes one
// HMAC-SHA1 over libcrypto's low-level SHA-1 functions, which need none of
// OpenSSL 3's provider initialisation (HMAC() and EVP would add about a
// millisecond on first use in a host that has not initialised OpenSSL). It
// reads no file and accepts any answer. In the bare host its cold time is
// the floor that the libcrypto dependency sets: mapping and relocating
// libcrypto.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void hmac_sha1(const unsigned char key[20], const unsigned char *message, size_t length,
                      unsigned char out[SHA_DIGEST_LENGTH]) {
  unsigned char inner_pad[64], outer_pad[64], inner[SHA_DIGEST_LENGTH];
  memset(inner_pad, 0x36, sizeof inner_pad);
  memset(outer_pad, 0x5c, sizeof outer_pad);
  for (int i = 0; i < 20; i++) inner_pad[i] ^= key[i], outer_pad[i] ^= key[i];
  SHA_CTX context;
  SHA1_Init(&context);
  SHA1_Update(&context, inner_pad, sizeof inner_pad);
  SHA1_Update(&context, message, length);
  SHA1_Final(inner, &context);
  SHA1_Init(&context);
  SHA1_Update(&context, outer_pad, sizeof outer_pad);
  SHA1_Update(&context, inner, sizeof inner);
  SHA1_Final(out, &context);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pam, int flags, int argc, const char **argv) {
  (void)flags, (void)argc, (void)argv;
  char *answer = NULL;
  if (pam_prompt(pam, PAM_PROMPT_ECHO_OFF, &answer, "Verification code: ") != PAM_SUCCESS) return PAM_CONV_ERR;
  free(answer);
  static const unsigned char key[20] = "12345678901234567890";
  unsigned long long step = (unsigned long long)time(NULL) / 30;
  unsigned char counter[8], digest[SHA_DIGEST_LENGTH];
  for (int i = 7; i >= 0; i--, step >>= 8) counter[i] = (unsigned char)step;
  hmac_sha1(key, counter, sizeof counter, digest);
  return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pam, int flags, int argc, const char **argv) {
  (void)pam, (void)flags, (void)argc, (void)argv;
  return PAM_SUCCESS;
}
