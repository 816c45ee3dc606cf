#ifndef CTERMINALGUARD_H
#define CTERMINALGUARD_H
#include <stddef.h>
/// Arms a fatal-signal handler (SEGV, BUS, ILL, TRAP, FPE, ABRT) that restores the terminal:
/// it puts back the termios saved now, writes `restore` (e.g. rmcup cnorm sgr0) to fd 1, and
/// re-raises the signal. Returns 0 on success.
int ctg_arm(int tty_fd, const char *restore, size_t length);
/// Disarms the handler (after a normal endwin()).
void ctg_disarm(void);
#endif
