/// Calls, reconnect and hold need the link, which belongs to another app when attached
/// (`upmon attach`): they say so instead of doing nothing.
func refuseAttached(_ model: inout AppModel) -> [Effect] {
    model.ui.setStatus(LiveSession.notForAttachedLinks, isError: true)
    return []
}
