import ServiceLifecycle

extension UpnodeMonitorEndpoint: Service {
    /// Keeps the endpoint open as a service of a `ServiceGroup` until graceful shutdown or
    /// cancellation, then closes it as `close()` does (readers get an `end` line, the socket
    /// file is removed).
    public func run() async throws {
        let feed = self.feed
        let pump = self.pump
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await pump.value
            } onCancel: {
                feed.finish()
            }
        } onGracefulShutdown: {
            feed.finish()
        }
        await close()
    }
}
