// Async-signal-safe terminal restore for fatal signals, where endwin() must not run.
// This static state is the project's only global mutable state: a signal handler cannot
// safely reach Swift globals (docs/ARCHITECTURE.md, "Terminal layer").
#include "CTerminalGuard.h"
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;
static int saved_fd = -1;
static char restore_bytes[256];
static size_t restore_length = 0;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};

static void ctg_handler(int sig) {
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSANOW, &saved_termios);
        if (restore_length > 0) {
            ssize_t ignored = write(STDOUT_FILENO, restore_bytes, restore_length);
            (void)ignored;
        }
    }
    raise(sig);  // SA_RESETHAND put the default action back
}

int ctg_arm(int tty_fd, const char *restore, size_t length) {
    if (tcgetattr(tty_fd, &saved_termios) != 0) return -1;
    if (length > sizeof(restore_bytes)) length = sizeof(restore_bytes);
    memcpy(restore_bytes, restore, length);
    restore_length = length;
    saved_fd = tty_fd;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = ctg_handler;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        sigaction(fatal_signals[i], &action, NULL);
    }
    return 0;
}

void ctg_disarm(void) {
    saved_fd = -1;
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        signal(fatal_signals[i], SIG_DFL);
    }
}
