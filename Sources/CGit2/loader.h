#ifndef MLGATE_CGIT2_LOADER_H
#define MLGATE_CGIT2_LOADER_H
/* The address of libgit2's `name`, opening libgit2 on the first call; NULL when it cannot be loaded. */
void *mlgate_git2_symbol(const char *name);
#endif
