import ServiceLifecycle

extension UpnodeServer: Service {
    /// Serves as a service of a `ServiceGroup` until graceful shutdown or cancellation; then
    /// stops listening, ends every connection (with FIN) and returns.
    public func run() async throws {
        let listener = serverChannel
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await listener.closeFuture.get()
            } onGracefulShutdown: {
                listener.close(promise: nil)
            }
        } onCancel: {
            listener.close(promise: nil)
        }
        await close()
    }
}
