#ifndef CUPNODESPAWN_H
#define CUPNODESPAWN_H
#include <sys/types.h>

/// Starts `path` (a resolved executable path) with `argv` and `envp`, its stdin, stdout and
/// stderr on new pipes. The child gets default signal handling and an empty signal mask, and on
/// Linux `parent_death_signal` (if non-zero) when the calling *thread* ends (PR_SET_PDEATHSIG):
/// call it from a thread that lives as long as the child may.
///
/// Returns 0 and sets `pid` and the parent's pipe ends (close-on-exec, blocking), or an errno
/// value: of pipe/fork, or of the child's execve (ENOENT, EACCES, ENOEXEC, …), in which case
/// the child has already been reaped and nothing is left open.
int cus_spawn(const char *path, char *const argv[], char *const envp[], int parent_death_signal,
              pid_t *pid, int *stdin_write, int *stdout_read, int *stderr_read);

/// Starts `path` with `argv` and `envp` as the leader of a new process group (so that the
/// group can be killed as a whole), its stdin on /dev/null and its stdout and stderr on one
/// new pipe. No parent-death signal: the child may outlive the calling thread.
///
/// Returns 0 and sets `pid` and the read end of the output pipe (close-on-exec, blocking),
/// or an errno value as `cus_spawn` does.
int cus_spawn_group(const char *path, char *const argv[], char *const envp[], pid_t *pid,
                    int *output_read);
#endif
