#ifndef MLGATE_CCURLSHIM_H
#define MLGATE_CCURLSHIM_H

/*
 * CCurlShim: HTTP through libcurl, loaded with dlopen on first use.
 *
 * Nothing here links libcurl: the mlgate binary starts, and git hooks run, without loading it.
 * The first request (or mlgate_curl_load) opens the library, resolves the handful of functions it
 * needs with dlsym and calls curl_global_init once. This header deliberately does not include
 * <curl/curl.h>, so no curl type leaks into the Swift module that imports it.
 */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of mlgate_http_perform. */
enum {
    /* A response arrived (any HTTP status, including 4xx and 5xx). */
    MLGATE_HTTP_OK = 0,
    /* libcurl could not be loaded; the error says which names were tried and what to install. */
    MLGATE_HTTP_LIBRARY_MISSING = 1,
    /* The transfer failed (DNS, connect, TLS, timeout, …); the error is curl's message. */
    MLGATE_HTTP_TRANSPORT = 2,
    /* The arguments were unusable (NULL method or URL, out of memory). */
    MLGATE_HTTP_INVALID = 3,
    /* The guard refused every address the host resolved to (see mlgate_http_guard); nothing was sent. */
    MLGATE_HTTP_REFUSED = 4,
};

/*
 * Which addresses a request may connect to, checked on the resolved address right before each connect (so a
 * name that resolves, or re-resolves, to an internal address is refused too). With a guard, proxies from the
 * environment are not used: the address checked is the one connected to.
 */
typedef struct mlgate_http_guard {
    /* Non-zero: refuse loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast and
       reserved addresses, IPv4-mapped and NAT64 forms included, unless one of `allowed` holds it. */
    int refuse_internal;
    /* Networks connected to even when internal, as CIDR text ("127.0.0.1/32", "10.0.0.0/8", "::1/128"). */
    const char *const *allowed;
    size_t allowed_count;
} mlgate_http_guard;

/* Whether `text` is an IPv4 or IPv6 network in CIDR form (a bare address counts as /32 or /128). */
int mlgate_http_valid_network(const char *text);

/* Whether the literal address `text` is internal in the guard's sense (1), public (0), or not an address (-1). */
int mlgate_http_address_is_internal(const char *text);

/* A loaded libcurl: its resolved functions. Opaque; lives until the process ends. */
typedef struct mlgate_curl_library mlgate_curl_library;

/* What one request produced. Zero it before the call; release it with mlgate_http_free. */
typedef struct mlgate_http_result {
    /* The HTTP status code, or 0 when no response arrived. */
    long status;
    /* The response body (malloc'd; NULL when empty). */
    unsigned char *body;
    size_t body_length;
    /* For a 3xx response, the absolute URL of its Location header (malloc'd), else NULL. */
    char *redirect_url;
    /* The header lines of the final response, CRLF-separated as received (malloc'd; NULL when none). */
    char *headers;
    size_t headers_length;
    /* When the call did not return MLGATE_HTTP_OK, a NUL-terminated message (malloc'd), else NULL. */
    char *error;
} mlgate_http_result;

/*
 * Opens libcurl, trying `names` in order (dlopen), resolves the functions this shim uses and runs
 * curl_global_init once per library. Returns the library, or NULL with a message in `error`
 * (NUL-terminated, truncated to `error_capacity`). Thread-safe; a library already opened is reused.
 */
const mlgate_curl_library *mlgate_curl_load(const char *const *names, size_t name_count,
                                            char *error, size_t error_capacity);

/*
 * Performs one whole request and waits for it. `library` NULL means "load the default names"
 * (libcurl.so.4, libcurl-gnutls.so.4, libcurl.so on Linux). `headers` are complete "Name: value"
 * lines. `body` may be NULL. Redirects are never followed here (the caller decides, from
 * `result->redirect_url`). `guard` may be NULL (connect anywhere). Sets CURLOPT_NOSIGNAL, User-Agent "mlgate", a connect timeout of at
 * most 10 s and a total timeout of `timeout_seconds`, and allows only http and https.
 * Returns one of the MLGATE_HTTP_* codes; fills `result` in every case.
 */
int mlgate_http_perform(const mlgate_curl_library *library, const char *method, const char *url,
                        const char *const *headers, size_t header_count, const void *body,
                        size_t body_length, long timeout_seconds, const mlgate_http_guard *guard,
                        mlgate_http_result *result);

/*
 * AWS Signature Version 4, computed by libcurl itself (CURLOPT_AWS_SIGV4, libcurl 7.75 or later). `provider` is
 * curl's "aws:amz:REGION:SERVICE"; `user` is "ACCESS_KEY_ID:SECRET_ACCESS_KEY". The caller sends the payload's
 * SHA-256 as an x-amz-content-sha256 header, which libcurl signs with the others.
 */
typedef struct mlgate_http_signing {
    const char *provider;
    const char *user;
} mlgate_http_signing;

/* mlgate_http_perform with the request signed as `signing` says (NULL: not signed). */
int mlgate_http_perform_signed(const mlgate_curl_library *library, const char *method, const char *url,
                               const char *const *headers, size_t header_count, const void *body,
                               size_t body_length, long timeout_seconds, const mlgate_http_guard *guard,
                               const mlgate_http_signing *signing, mlgate_http_result *result);

/* Frees what mlgate_http_perform allocated in `result` and zeroes it. NULL is allowed. */
void mlgate_http_free(mlgate_http_result *result);

#ifdef __cplusplus
}
#endif

#endif
