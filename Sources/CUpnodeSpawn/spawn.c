// fork + execve in C: between the two only async-signal-safe calls may run, which Swift code
// cannot promise (and prctl, being variadic, cannot be called from Swift at all).
#define _GNU_SOURCE
#include "CUpnodeSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

static void close_pair(int pair[2]) {
    if (pair[0] >= 0) close(pair[0]);
    if (pair[1] >= 0) close(pair[1]);
}

static int make_pipe(int pair[2]) {
#ifdef __linux__
    if (pipe2(pair, O_CLOEXEC) != 0) return errno;
#else
    if (pipe(pair) != 0) return errno;
    fcntl(pair[0], F_SETFD, FD_CLOEXEC);
    fcntl(pair[1], F_SETFD, FD_CLOEXEC);
#endif
    return 0;
}

// Puts `fd` on `target` without close-on-exec (dup2 onto itself would keep the flag).
static int move_to(int fd, int target) {
    if (fd == target) return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

static void child(const char *path, char *const argv[], char *const envp[], int death_signal,
                  pid_t parent, int in, int out, int err, int report, int new_group) {
    if (new_group) setpgid(0, 0);
    struct sigaction defaults = {0};
    defaults.sa_handler = SIG_DFL;
    for (int number = 1; number < NSIG; number++) {
        if (number != SIGKILL && number != SIGSTOP) sigaction(number, &defaults, NULL);
    }
#ifdef __linux__
    if (death_signal != 0) {
        prctl(PR_SET_PDEATHSIG, death_signal);
        // The parent may have died before prctl: then nobody would send the signal.
        if (getppid() != parent) _exit(127);
    }
#else
    (void)death_signal;
    (void)parent;
#endif
    if (move_to(in, 0) != 0 || move_to(out, 1) != 0 || move_to(err, 2) != 0) {
        int code = errno;
        (void)!write(report, &code, sizeof code);
        _exit(127);
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    execve(path, argv, envp);
    int code = errno;
    (void)!write(report, &code, sizeof code);
    _exit(127);
}

int cus_spawn(const char *path, char *const argv[], char *const envp[], int parent_death_signal,
              pid_t *pid, int *stdin_write, int *stdout_read, int *stderr_read) {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
    int failure = make_pipe(in);
    if (failure == 0) failure = make_pipe(out);
    if (failure == 0) failure = make_pipe(err);
    if (failure == 0) failure = make_pipe(report);
    if (failure != 0) {
        close_pair(in), close_pair(out), close_pair(err), close_pair(report);
        return failure;
    }
    pid_t parent = getpid();
    // Signals stay blocked until the child has reset their handlers: a handler of the parent
    // must never run in the child.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t started = fork();
    if (started == 0) {
        child(path, argv, envp, parent_death_signal, parent, in[0], out[1], err[1], report[1], 0);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(in[0]), close(out[1]), close(err[1]), close(report[1]);
    if (started < 0) {
        close(in[1]), close(out[0]), close(err[0]), close(report[0]);
        return forkError;
    }
    // The report pipe closes at a successful exec (close-on-exec), or carries its errno.
    int code = 0;
    ssize_t got;
    do {
        got = read(report[0], &code, sizeof code);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        while (waitpid(started, NULL, 0) < 0 && errno == EINTR) {
        }
        close(in[1]), close(out[0]), close(err[0]);
        return code == 0 ? ECHILD : code;
    }
    *pid = started;
    *stdin_write = in[1];
    *stdout_read = out[0];
    *stderr_read = err[0];
    return 0;
}

int cus_spawn_group(const char *path, char *const argv[], char *const envp[], pid_t *pid,
                    int *output_read) {
    int out[2] = {-1, -1}, report[2] = {-1, -1};
    int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_in < 0) return errno;
    int failure = make_pipe(out);
    if (failure == 0) failure = make_pipe(report);
    if (failure != 0) {
        close(null_in), close_pair(out), close_pair(report);
        return failure;
    }
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t started = fork();
    if (started == 0) {
        child(path, argv, envp, 0, getppid(), null_in, out[1], out[1], report[1], 1);
    }
    int forkError = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    close(null_in), close(out[1]), close(report[1]);
    if (started < 0) {
        close(out[0]), close(report[0]);
        return forkError;
    }
    // Also set here: whichever of parent and child runs first, the group exists before the
    // parent may signal it.
    setpgid(started, started);
    int code = 0;
    ssize_t got;
    do {
        got = read(report[0], &code, sizeof code);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        while (waitpid(started, NULL, 0) < 0 && errno == EINTR) {
        }
        close(out[0]);
        return code == 0 ? ECHILD : code;
    }
    *pid = started;
    *output_read = out[0];
    return 0;
}
