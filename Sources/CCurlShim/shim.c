/*
 * CCurlShim: libcurl through dlopen. See include/CCurlShim.h for the contract.
 *
 * <curl/curl.h> is included for types and constants only; every libcurl function is called through
 * a pointer resolved with dlsym, so the build never links libcurl and a process that never sends a
 * request never loads it.
 */

#define CURL_DISABLE_DEPRECATION 1
#include "CCurlShim.h"

#include <curl/curl.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most a response body may hold; larger answers fail as a transport error. */
#define MLGATE_MAX_RESPONSE ((size_t)64 * 1024 * 1024)
/* The longest connect phase, whatever the total timeout. */
#define MLGATE_CONNECT_TIMEOUT 10L
/* How many distinct libcurl builds one process may open (tests open the same one repeatedly). */
#define MLGATE_MAX_LIBRARIES 4

typedef CURLcode (*global_init_fn)(long flags);
typedef CURL *(*easy_init_fn)(void);
typedef CURLcode (*easy_setopt_fn)(CURL *handle, CURLoption option, ...);
typedef CURLcode (*easy_perform_fn)(CURL *handle);
typedef CURLcode (*easy_getinfo_fn)(CURL *handle, CURLINFO info, ...);
typedef void (*easy_cleanup_fn)(CURL *handle);
typedef const char *(*easy_strerror_fn)(CURLcode code);
typedef struct curl_slist *(*slist_append_fn)(struct curl_slist *list, const char *line);
typedef void (*slist_free_all_fn)(struct curl_slist *list);

struct mlgate_curl_library {
    void *handle;
    global_init_fn global_init;
    easy_init_fn easy_init;
    easy_setopt_fn easy_setopt;
    easy_perform_fn easy_perform;
    easy_getinfo_fn easy_getinfo;
    easy_cleanup_fn easy_cleanup;
    easy_strerror_fn easy_strerror;
    slist_append_fn slist_append;
    slist_free_all_fn slist_free_all;
};

static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mlgate_curl_library libraries[MLGATE_MAX_LIBRARIES];
static size_t library_count = 0;
static const mlgate_curl_library *default_library = NULL;

#if defined(__APPLE__)
static const char *const default_names[] = {"libcurl.4.dylib", "/usr/lib/libcurl.4.dylib", "libcurl.dylib"};
#else
static const char *const default_names[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
#endif

static void set_message(char *buffer, size_t capacity, const char *format, ...) {
    if (buffer == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(buffer, capacity, format, arguments);
    va_end(arguments);
}

static char *copy_message(const char *format, ...) {
    char text[CURL_ERROR_SIZE + 256];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    return strdup(text);
}

/* Resolves one symbol; on failure records which one and returns 0. */
static int resolve(void *handle, const char *symbol, void **slot, const char *name, char *why, size_t why_capacity) {
    void *address = dlsym(handle, symbol);
    if (address == NULL) {
        set_message(why, why_capacity, "%s has no %s", name, symbol);
        return 0;
    }
    *slot = address;
    return 1;
}

/* Tries one name; returns the cached or newly filled entry, or NULL with the reason in `why`. Lock held. */
static const mlgate_curl_library *open_one(const char *name, char *why, size_t why_capacity) {
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        set_message(why, why_capacity, "%s", reason != NULL ? reason : name);
        return NULL;
    }
    for (size_t index = 0; index < library_count; index++) {
        if (libraries[index].handle == handle) {
            dlclose(handle); /* drop the extra reference; the cached one keeps it loaded */
            return &libraries[index];
        }
    }
    if (library_count == MLGATE_MAX_LIBRARIES) {
        dlclose(handle);
        set_message(why, why_capacity, "too many distinct libcurl libraries opened");
        return NULL;
    }
    struct mlgate_curl_library entry;
    memset(&entry, 0, sizeof entry);
    entry.handle = handle;
    int resolved = resolve(handle, "curl_global_init", (void **)&entry.global_init, name, why, why_capacity)
        && resolve(handle, "curl_easy_init", (void **)&entry.easy_init, name, why, why_capacity)
        && resolve(handle, "curl_easy_setopt", (void **)&entry.easy_setopt, name, why, why_capacity)
        && resolve(handle, "curl_easy_perform", (void **)&entry.easy_perform, name, why, why_capacity)
        && resolve(handle, "curl_easy_getinfo", (void **)&entry.easy_getinfo, name, why, why_capacity)
        && resolve(handle, "curl_easy_cleanup", (void **)&entry.easy_cleanup, name, why, why_capacity)
        && resolve(handle, "curl_easy_strerror", (void **)&entry.easy_strerror, name, why, why_capacity)
        && resolve(handle, "curl_slist_append", (void **)&entry.slist_append, name, why, why_capacity)
        && resolve(handle, "curl_slist_free_all", (void **)&entry.slist_free_all, name, why, why_capacity);
    if (!resolved) {
        dlclose(handle);
        return NULL;
    }
    CURLcode code = entry.global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        set_message(why, why_capacity, "%s: curl_global_init failed: %s", name, entry.easy_strerror(code));
        dlclose(handle);
        return NULL;
    }
    libraries[library_count] = entry;
    library_count += 1;
    return &libraries[library_count - 1];
}

const mlgate_curl_library *mlgate_curl_load(const char *const *names, size_t name_count, char *error, size_t error_capacity) {
    char tried[512] = "";
    char why[512] = "no library names given";
    const mlgate_curl_library *found = NULL;
    pthread_mutex_lock(&library_lock);
    for (size_t index = 0; index < name_count && found == NULL; index++) {
        const char *name = names != NULL ? names[index] : NULL;
        if (name == NULL) continue;
        size_t used = strlen(tried);
        snprintf(tried + used, sizeof tried - used, "%s%s", used > 0 ? ", " : "", name);
        found = open_one(name, why, sizeof why);
    }
    pthread_mutex_unlock(&library_lock);
    if (found == NULL) {
        set_message(error, error_capacity,
                    "libcurl could not be loaded (tried %s; last error: %s). mlgate needs libcurl at run time "
                    "for HTTP: install libcurl4 (apt-get install libcurl4, or libcurl4-openssl-dev on a build "
                    "machine; dnf install libcurl on Fedora/RHEL).",
                    tried, why);
    }
    return found;
}

static const mlgate_curl_library *load_default(char *error, size_t error_capacity) {
    pthread_mutex_lock(&library_lock);
    const mlgate_curl_library *cached = default_library;
    pthread_mutex_unlock(&library_lock);
    if (cached != NULL) return cached;
    const mlgate_curl_library *loaded =
        mlgate_curl_load(default_names, sizeof default_names / sizeof default_names[0], error, error_capacity);
    if (loaded != NULL) {
        pthread_mutex_lock(&library_lock);
        default_library = loaded;
        pthread_mutex_unlock(&library_lock);
    }
    return loaded;
}

/* ---- The address guard ------------------------------------------------------------------------------ */

/* An address as 16 bytes (IPv4 as ::ffff:a.b.c.d) and whether it came as IPv4. */
struct address16 {
    unsigned char bytes[16];
};

static void mapped_v4(const unsigned char v4[4], struct address16 *out) {
    memset(out->bytes, 0, 10);
    out->bytes[10] = 0xff;
    out->bytes[11] = 0xff;
    memcpy(out->bytes + 12, v4, 4);
}

/* Parses "a.b.c.d[/n]" or "x::y[/n]" into an address and a prefix length over 128 bits; 0 on failure. */
static int parse_network(const char *text, struct address16 *address, int *prefix) {
    if (text == NULL) return 0;
    char copy[64];
    size_t length = strlen(text);
    if (length == 0 || length >= sizeof copy) return 0;
    memcpy(copy, text, length + 1);
    char *slash = strchr(copy, '/');
    long bits = -1;
    if (slash != NULL) {
        *slash = '\0';
        char *end = NULL;
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] == '\0' || end == NULL || *end != '\0' || bits < 0) return 0;
    }
    unsigned char v4[4];
    if (inet_pton(AF_INET, copy, v4) == 1) {
        if (bits > 32) return 0;
        mapped_v4(v4, address);
        *prefix = bits < 0 ? 128 : (int)bits + 96;
        return 1;
    }
    if (inet_pton(AF_INET6, copy, address->bytes) == 1) {
        if (bits > 128) return 0;
        *prefix = bits < 0 ? 128 : (int)bits;
        return 1;
    }
    return 0;
}

static int in_network(const struct address16 *address, const struct address16 *network, int prefix) {
    int whole = prefix / 8, rest = prefix % 8;
    if (memcmp(address->bytes, network->bytes, (size_t)whole) != 0) return 0;
    if (rest == 0) return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (address->bytes[whole] & mask) == (network->bytes[whole] & mask);
}

/* The networks no webhook may reach unless allowed (IPv4 ones in their ::ffff: form). */
static const char *const internal_networks[] = {
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "240.0.0.0/4", "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "2001:db8::/32",
    "100::/64",
};

static int is_internal(const struct address16 *address) {
    struct address16 candidate = *address;
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char compatible[12] = {0};
    /* The IPv4 inside NAT64 (64:ff9b::/96) and IPv4-compatible (::a.b.c.d) forms is judged as IPv4. */
    if (memcmp(candidate.bytes, nat64, 12) == 0
        || (memcmp(candidate.bytes, compatible, 12) == 0 && (candidate.bytes[12] | candidate.bytes[13]) != 0)) {
        unsigned char v4[4];
        memcpy(v4, candidate.bytes + 12, 4);
        mapped_v4(v4, &candidate);
    }
    for (size_t index = 0; index < sizeof internal_networks / sizeof internal_networks[0]; index++) {
        struct address16 network;
        int prefix = 0;
        if (parse_network(internal_networks[index], &network, &prefix) && in_network(&candidate, &network, prefix)) return 1;
    }
    return 0;
}

int mlgate_http_valid_network(const char *text) {
    struct address16 address;
    int prefix = 0;
    return parse_network(text, &address, &prefix);
}

int mlgate_http_address_is_internal(const char *text) {
    struct address16 address;
    int prefix = 0;
    if (!parse_network(text, &address, &prefix) || prefix != 128 || strchr(text, '/') != NULL) return -1;
    return is_internal(&address);
}

/* What the open-socket callback needs: the guard, and the first refusal for the error message. */
struct guard_context {
    const mlgate_http_guard *guard;
    char refusal[160];
};

static curl_socket_t open_guarded_socket(void *context_pointer, curlsocktype purpose, struct curl_sockaddr *address) {
    struct guard_context *context = context_pointer;
    (void)purpose;
    struct address16 candidate;
    char text[INET6_ADDRSTRLEN] = "?";
    if (address->family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)&address->addr;
        mapped_v4((const unsigned char *)&v4->sin_addr, &candidate);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    } else if (address->family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)&address->addr;
        memcpy(candidate.bytes, &v6->sin6_addr, 16);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    } else {
        snprintf(context->refusal, sizeof context->refusal, "an address of family %d is not IPv4 or IPv6", address->family);
        return CURL_SOCKET_BAD;
    }
    if (context->guard->refuse_internal && is_internal(&candidate)) {
        for (size_t index = 0; index < context->guard->allowed_count; index++) {
            struct address16 network;
            int prefix = 0;
            if (parse_network(context->guard->allowed[index], &network, &prefix) && in_network(&candidate, &network, prefix)) {
                return socket(address->family, address->socktype, address->protocol);
            }
        }
        if (context->refusal[0] == '\0') {
            snprintf(context->refusal, sizeof context->refusal, "%s is an internal (loopback, private, link-local or reserved) address", text);
        }
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

/* The response body as it arrives. */
struct buffer {
    unsigned char *data;
    size_t length;
    size_t capacity;
    int too_large;
    int out_of_memory;
};

static size_t write_body(char *chunk, size_t size, size_t count, void *context) {
    struct buffer *buffer = context;
    if (size != 0 && count > SIZE_MAX / size) return 0;
    size_t bytes = size * count;
    if (bytes == 0) return 0;
    if (bytes > MLGATE_MAX_RESPONSE - buffer->length) {
        buffer->too_large = 1;
        return 0;
    }
    if (buffer->length + bytes > buffer->capacity) {
        size_t capacity = buffer->capacity == 0 ? 16384 : buffer->capacity;
        while (capacity < buffer->length + bytes) capacity *= 2;
        unsigned char *grown = realloc(buffer->data, capacity);
        if (grown == NULL) {
            buffer->out_of_memory = 1;
            return 0;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, chunk, bytes);
    buffer->length += bytes;
    return bytes;
}

/* An HTTP method is an upper-case token; anything else would let a caller smuggle a request line. */
static int valid_method(const char *method) {
    if (method == NULL || method[0] == '\0' || strlen(method) > 16) return 0;
    for (const char *c = method; *c != '\0'; c++) {
        if (*c < 'A' || *c > 'Z') return 0;
    }
    return 1;
}

/* A header line is one "Name: value" line, or curl's "Name;" for an empty value; no CR or LF. */
static int valid_header(const char *line) {
    if (line == NULL || line[0] == '\0') return 0;
    size_t length = strlen(line);
    if (strchr(line, ':') == NULL && line[length - 1] != ';') return 0;
    return strpbrk(line, "\r\n") == NULL;
}

/* Sets the option, records the first failure; returns whether everything so far succeeded. */
#define SETOPT(option, value)                                                                   \
    do {                                                                                        \
        if (setopt_code == CURLE_OK) setopt_code = library->easy_setopt(easy, (option), (value)); \
    } while (0)

/* Keeps the header lines of the last response only: a new status line (after a 100 Continue) starts over. */
static size_t write_header(char *chunk, size_t size, size_t count, void *context) {
    struct buffer *buffer = context;
    size_t bytes = size * count;
    if (bytes >= 5 && memcmp(chunk, "HTTP/", 5) == 0) buffer->length = 0;
    if (buffer->length + bytes > 256 * 1024) return bytes;  /* headers past 256 KiB are dropped, not fatal */
    return write_body(chunk, size, count, context) == bytes ? bytes : 0;
}

int mlgate_http_perform(const mlgate_curl_library *library, const char *method, const char *url,
                        const char *const *headers, size_t header_count, const void *body,
                        size_t body_length, long timeout_seconds, const mlgate_http_guard *guard,
                        mlgate_http_result *result) {
    return mlgate_http_perform_signed(library, method, url, headers, header_count, body, body_length, timeout_seconds, guard,
                                      NULL, result);
}

int mlgate_http_perform_signed(const mlgate_curl_library *library, const char *method, const char *url,
                               const char *const *headers, size_t header_count, const void *body,
                               size_t body_length, long timeout_seconds, const mlgate_http_guard *guard,
                               const mlgate_http_signing *signing, mlgate_http_result *result) {
    if (result == NULL) return MLGATE_HTTP_INVALID;
    memset(result, 0, sizeof *result);
    if (!valid_method(method) || url == NULL || (body == NULL && body_length > 0)) {
        result->error = copy_message("invalid request: the method must be an upper-case word and the URL non-empty");
        return MLGATE_HTTP_INVALID;
    }
    for (size_t index = 0; index < header_count; index++) {
        if (headers == NULL || !valid_header(headers[index])) {
            result->error = copy_message("invalid request: header %zu is not a single 'Name: value' line", index + 1);
            return MLGATE_HTTP_INVALID;
        }
    }
    if (library == NULL) {
        char why[1024];
        library = load_default(why, sizeof why);
        if (library == NULL) {
            result->error = strdup(why);
            return MLGATE_HTTP_LIBRARY_MISSING;
        }
    }

    CURL *easy = library->easy_init();
    if (easy == NULL) {
        result->error = copy_message("curl_easy_init failed (out of memory?)");
        return MLGATE_HTTP_TRANSPORT;
    }
    struct curl_slist *list = NULL;
    int status = MLGATE_HTTP_OK;
    for (size_t index = 0; index < header_count; index++) {
        struct curl_slist *grown = library->slist_append(list, headers[index]);
        if (grown == NULL) {
            status = MLGATE_HTTP_INVALID;
            break;
        }
        list = grown;
    }
    if (status == MLGATE_HTTP_OK && signing == NULL) {
        /* No "Expect: 100-continue" round trip before a body. (Not for a signed request: libcurl 7.88 would sign
           the empty header it never sends. There the wait for a 100 is cut to 1 ms instead, which costs a server
           that never sends one nothing.) */
        struct curl_slist *grown = library->slist_append(list, "Expect:");
        if (grown == NULL) status = MLGATE_HTTP_INVALID; else list = grown;
    }
    if (status != MLGATE_HTTP_OK) {
        library->slist_free_all(list);
        library->easy_cleanup(easy);
        result->error = copy_message("out of memory building the request headers");
        return MLGATE_HTTP_INVALID;
    }

    char curl_error[CURL_ERROR_SIZE];
    curl_error[0] = '\0';
    struct buffer response, response_headers;
    memset(&response, 0, sizeof response);
    memset(&response_headers, 0, sizeof response_headers);
    long timeout = timeout_seconds > 0 ? timeout_seconds : 30L;
    CURLcode setopt_code = CURLE_OK;

    SETOPT(CURLOPT_ERRORBUFFER, curl_error);
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_USERAGENT, "mlgate");
    SETOPT(CURLOPT_CONNECTTIMEOUT, timeout < MLGATE_CONNECT_TIMEOUT ? timeout : MLGATE_CONNECT_TIMEOUT);
    SETOPT(CURLOPT_TIMEOUT, timeout);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    /* Compressed answers are decoded, but not for signed (S3) requests: there a body's bytes are an object's, and a
       range of it must come back as stored. */
    if (signing == NULL) SETOPT(CURLOPT_ACCEPT_ENCODING, "");
    SETOPT(CURLOPT_HTTPHEADER, list);
    SETOPT(CURLOPT_WRITEFUNCTION, write_body);
    SETOPT(CURLOPT_WRITEDATA, &response);
    SETOPT(CURLOPT_HEADERFUNCTION, write_header);
    SETOPT(CURLOPT_HEADERDATA, &response_headers);
    int signing_unsupported = 0;
    if (signing != NULL && setopt_code == CURLE_OK) {
        if (signing->provider == NULL || signing->user == NULL) {
            setopt_code = CURLE_BAD_FUNCTION_ARGUMENT;
        } else if (library->easy_setopt(easy, CURLOPT_AWS_SIGV4, signing->provider) != CURLE_OK) {
            signing_unsupported = 1;
            setopt_code = CURLE_UNKNOWN_OPTION;
        } else {
            SETOPT(CURLOPT_USERPWD, signing->user);
            SETOPT(CURLOPT_EXPECT_100_TIMEOUT_MS, 1L);
        }
    }
    struct guard_context guard_context;
    memset(&guard_context, 0, sizeof guard_context);
    if (guard != NULL) {
        guard_context.guard = guard;
        SETOPT(CURLOPT_OPENSOCKETFUNCTION, open_guarded_socket);
        SETOPT(CURLOPT_OPENSOCKETDATA, &guard_context);
        /* The address checked must be the one connected to: no proxy from the environment. */
        SETOPT(CURLOPT_PROXY, "");
    }
    if (setopt_code == CURLE_OK) {
        /* http and https only; CURLOPT_PROTOCOLS_STR is 7.85+, the bitmask works everywhere. */
        if (library->easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
            SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
        }
    }
    if (body != NULL) {
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
        SETOPT(CURLOPT_POSTFIELDS, body_length > 0 ? (const char *)body : "");
        if (strcmp(method, "POST") != 0) SETOPT(CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") == 0) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "POST") == 0) {
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        SETOPT(CURLOPT_POSTFIELDS, "");
    } else {
        SETOPT(CURLOPT_CUSTOMREQUEST, method);
    }

    CURLcode code = setopt_code;
    if (code == CURLE_OK) code = library->easy_perform(easy);
    if (code == CURLE_OK) {
        long http_status = 0;
        if (library->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status) == CURLE_OK) result->status = http_status;
        char *location = NULL;
        if (http_status >= 300 && http_status < 400
            && library->easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != NULL) {
            result->redirect_url = strdup(location);
        }
        result->body = response.data;
        result->body_length = response.length;
        response.data = NULL;
        if (response_headers.length > 0 && (result->headers = malloc(response_headers.length + 1)) != NULL) {
            memcpy(result->headers, response_headers.data, response_headers.length);
            result->headers[response_headers.length] = '\0';
            result->headers_length = response_headers.length;
        }
    } else {
        status = MLGATE_HTTP_TRANSPORT;
        if (signing_unsupported) {
            status = MLGATE_HTTP_INVALID;
            result->error = copy_message("this libcurl cannot sign requests with AWS SigV4 (it needs libcurl 7.75 or later)");
        } else if (guard_context.refusal[0] != '\0') {
            status = MLGATE_HTTP_REFUSED;
            result->error = copy_message("refused to connect: %s", guard_context.refusal);
        } else if (response.too_large) {
            result->error = copy_message("the response is larger than %zu MiB", MLGATE_MAX_RESPONSE / (1024 * 1024));
        } else if (response.out_of_memory) {
            result->error = copy_message("out of memory reading the response");
        } else {
            const char *text = curl_error[0] != '\0' ? curl_error : library->easy_strerror(code);
            result->error = copy_message("%s (curl error %d)", text != NULL ? text : "unknown error", (int)code);
        }
    }
    free(response.data);
    free(response_headers.data);
    library->easy_cleanup(easy);
    library->slist_free_all(list);
    return status;
}

void mlgate_http_free(mlgate_http_result *result) {
    if (result == NULL) return;
    free(result->body);
    free(result->redirect_url);
    free(result->headers);
    free(result->error);
    memset(result, 0, sizeof *result);
}
