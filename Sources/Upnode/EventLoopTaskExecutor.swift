import NIOCore

/// A Swift task executor (SE-0417) that runs jobs on one NIO event loop.
///
/// Tasks that prefer it run on the same thread as a link's connection, so a call and its
/// reply cost no thread wake-ups: see `UpnodeClient.taskExecutor`.
public final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop every job runs on.
    public let eventLoop: any EventLoop

    /// An executor that runs every job on `eventLoop`.
    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Runs `job` on the event loop, as a task executor job.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
