// OpenSSL's libcrypto: HMAC for the OTP math, RAND_bytes for secrets,
// CRYPTO_memcmp for constant-time comparison, OPENSSL_cleanse to wipe secrets.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

// OPENSSL_cleanse is a real function, but its macro-free use from Swift needs
// a non-null pointer; this keeps the empty-buffer case out of the callers.
static inline void ccrypto_cleanse(void *ptr, size_t len) {
  if (ptr != 0 && len > 0) OPENSSL_cleanse(ptr, len);
}
