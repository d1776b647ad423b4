// OpenSSL's SHA-256 on a caller-owned context: no allocation per digest. OpenSSL 3 marks these
// calls deprecated in favour of EVP, whose contexts allocate on every digest (ADR 0018).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
