import ServiceLifecycle

extension UpnodeClient: Service {
    /// Runs the link as a service of a `ServiceGroup`: starts it and keeps it until graceful
    /// shutdown or cancellation, then closes it as `close()` does (transactions still waiting
    /// fail with `closed`, calls in flight with `linkLost`) and returns once it is closed.
    public nonisolated func run() async throws {
        let events = events(bufferingNewest: 1)
        start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await _ in events {}  // the stream ends when the client is closed
            } onGracefulShutdown: {
                self.close()
            }
        } onCancel: {
            self.close()
        }
    }
}
