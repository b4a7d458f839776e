#ifndef MLGATE_SPAWN_SHIM_H
#define MLGATE_SPAWN_SHIM_H
#include <spawn.h>

/// Adds a file action closing every descriptor from `lowest` up in the child (glibc's
/// posix_spawn_file_actions_addclosefrom_np), so a child never inherits the parent's sockets, epoll instances or
/// database files. Returns 0, or an errno value.
int mlgate_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
