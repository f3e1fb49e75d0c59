// OpenSSL's libcrypto: the SHA-1/SHA-256/SHA-512 functions under the OTP
// math's HMAC, CRYPTO_memcmp for constant-time comparison, OPENSSL_cleanse
// to wipe secrets.
//
// The low-level SHA*_Init/Update/Final functions are marked deprecated in
// OpenSSL 3 but ship in every 3.x release. They are used on purpose: the
// EVP interfaces initialise OpenSSL's provider machinery on first use, which
// costs about 1.2 ms in every sudo process (whose host has not initialised
// OpenSSL), and each EVP HMAC costs about 6 us against 0.2 us. Suppressing
// the deprecation keeps the build quiet; nothing else changes.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

// OPENSSL_cleanse is a real function, but its macro-free use from Swift needs
// a non-null pointer; this keeps the empty-buffer case out of the callers.
static inline void ccrypto_cleanse(void *ptr, size_t len) {
  if (ptr != 0 && len > 0) OPENSSL_cleanse(ptr, len);
}
