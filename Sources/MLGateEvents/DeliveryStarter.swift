package import Foundation
import MLGateCore
import MLGatePipeline
import MLGateStore
import MLGateSystem
package import MLGateWorkspace

/// Starts delivery in the background after a command wrote events, so no command waits for a receiver.
package enum DeliveryStarter {
    /// How long the background deliverer stays to make retries that fall due, in seconds.
    package static let waitSeconds = 600

    /// The log the background deliverer appends to.
    package static func logPath(_ workspace: Workspace) -> String { workspace.logDirectory + "/events.log" }

    /// Starts `mlgate events deliver --wait 600` detached when `workspace` has subscriptions and an event is waiting
    /// for one of them, unless `MLGATE_EVENTS_BACKGROUND=off`; returns its pid, or nil when there was nothing to start. Never throws: delivery is best effort
    /// here, and `mlgate events deliver` reports what went wrong.
    @discardableResult
    package static func startIfWaiting(_ workspace: Workspace) -> pid_t? {
        // Most repositories have no subscriptions: look for the section before parsing anything.
        guard ProcessEnvironment.value("MLGATE_EVENTS_BACKGROUND") != "off",
              let text = try? String(contentsOfFile: workspace.configPath, encoding: .utf8),
              text.hasPrefix("notify:") || text.contains("\nnotify:"),
              let subscriptions = try? workspace.configuration().notify, !subscriptions.isEmpty,
              FileManager.default.fileExists(atPath: workspace.layout.database),
              let store = try? workspace.openStore(),
              (try? store.eventsWaiting(for: subscriptions.map(\.name))) == true
        else { return nil }
        return try? DetachedMLGate.start(["events", "deliver", "--wait", String(waitSeconds), "--quiet"], layout: workspace.layout, log: logPath(workspace))
    }
}
