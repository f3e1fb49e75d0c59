// Preloaded into pam_host to make it a host like sshd: libcrypto is already
// mapped and initialised (configuration loaded, random generator seeded, a
// digest fetched and used) before PAM starts, so the measurement shows what
// a module itself adds there. The HMAC uses SHA-256 (what sshd's own key
// exchange and MACs use), not SHA-1: the modules' first SHA-1 fetch stays
// theirs to pay.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void openssl_ready(void) {
  unsigned char key[32], digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  static const unsigned char message[] = "sshd-like host";
  if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS,
                          NULL) != 1 ||
      RAND_bytes(key, sizeof key) != 1 ||
      HMAC(EVP_sha256(), key, sizeof key, message, sizeof message - 1, digest, &length) == NULL) {
    fprintf(stderr, "openssl_ready: OpenSSL initialisation failed\n");
    abort();
  }
}
