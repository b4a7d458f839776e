/*
 * Opens libgit2 on first use (see include/CGit2.h) and resolves its functions for git2.c.
 */
#include "CGit2.h"
#include "loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifdef __APPLE__
#define MLGATE_GIT2_LIBRARY "libgit2." LIBGIT2_SOVERSION ".dylib"
#define MLGATE_GIT2_FALLBACK "libgit2.dylib"
#else
#define MLGATE_GIT2_LIBRARY "libgit2.so." LIBGIT2_SOVERSION
#define MLGATE_GIT2_FALLBACK "libgit2.so"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *library;
static char failure[512];
static git_error load_error;

static void load(void) {
    /* The soname of the headers this was built with (the ABI the declarations describe), else the
       development link name. RTLD_LOCAL keeps libgit2's symbols out of the global scope. */
    library = dlopen(MLGATE_GIT2_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *first = dlerror();
        snprintf(failure, sizeof failure, "libgit2 could not be loaded (%s); install libgit2 %s (Debian: apt-get install libgit2-%s)",
                 first != NULL ? first : MLGATE_GIT2_LIBRARY, LIBGIT2_VERSION, LIBGIT2_SOVERSION);
        library = dlopen(MLGATE_GIT2_FALLBACK, RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        load_error.message = failure;
        load_error.klass = GIT_ERROR_OS;
    }
}

void *mlgate_git2_symbol(const char *name) {
    pthread_once(&once, load);
    if (library == NULL) return NULL;
    return dlsym(library, name);
}

/* Written by hand, not generated: when the library is missing, the last error is why. */
const git_error *git_error_last(void) {
    typedef const git_error *(*function_t)(void);
    function_t function = (function_t)mlgate_git2_symbol("git_error_last");
    if (function == NULL) return library == NULL ? &load_error : NULL;
    return function();
}
