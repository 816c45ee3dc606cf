#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Job-control stops for a process that catches SIGTSTP through a dispatch source.
enum JobControl {
    /// Stops the process as SIGTSTP's default action does (so the shell reports the job as
    /// stopped by SIGTSTP and `fg` resumes it), returning after SIGCONT.
    ///
    /// The disposition is the dispatch source's handler, so it is set to SIG_DFL just for
    /// this, and the signal is unblocked on this thread and raised at this thread (libdispatch
    /// keeps it blocked where it reads it). In an orphaned process group the kernel discards
    /// a default-action SIGTSTP, so nobody is left stopped without a shell to resume it: this
    /// then returns at once.
    static func stopAsForSIGTSTP() {
        var defaultAction = sigaction()
        #if canImport(Glibc)
            defaultAction.__sigaction_handler.sa_handler = SIG_DFL
        #else
            defaultAction.__sigaction_u.__sa_handler = SIG_DFL
        #endif
        sigemptyset(&defaultAction.sa_mask)
        var previousAction = sigaction()
        guard sigaction(SIGTSTP, &defaultAction, &previousAction) == 0 else { return }
        var tstp = sigset_t()
        sigemptyset(&tstp)
        sigaddset(&tstp, SIGTSTP)
        var previousMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &tstp, &previousMask)
        raise(SIGTSTP)  // stops here until SIGCONT
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        sigaction(SIGTSTP, &previousAction, nil)
    }
}
