import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `mlgate serve`: runs an endpoint's router, the `mlgate-server` executable installed beside `mlgate` (so that
/// `mlgate` itself never loads SwiftNIO).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an endpoint of mlgate.yaml: its deployments' versions behind one port, split by the traffic in force.",
        discussion: """
            Each deployment's version runs from its package ('mlgate package') as child processes on private loopback \
            ports; the router sends requests to them once GET health answers 200, by the shares in force, or to the \
            deployment named by a 'mlgate-deployment' (or 'azureml-model-deployment') header. Every answer says who \
            answered (mlgate-deployment, mlgate-model-version, x-request-id). 'mlgate endpoint traffic|mirror|promote|\
            rollback' and new versions of a stage take effect without a restart and without dropping a request. The \
            router's own paths are /-/health, /-/ready and /-/metrics (Prometheus). It runs until Ctrl-C or SIGTERM, \
            then stops every child. Exit 2 for a bad endpoint, 3 when it cannot start (a port in use, an instance \
            that fails its health check: its log is named). See docs/serving.md.
            """)

    @Argument(help: "The endpoint to serve (the only one of mlgate.yaml when left out).")
    var endpoint: String?

    func run() throws {
        let server = Self.serverExecutable()
        guard let server else {
            throw ValidationError("mlgate-server was not found beside mlgate or on PATH; build it with 'swift build --product mlgate-server' (make build does).")
        }
        let argv = [server] + (endpoint.map { [$0] } ?? [])
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        execv(server, cArguments)
        throw ValidationError("could not start \(server): \(String(cString: strerror(errno))).")
    }

    /// `mlgate-server` beside the running `mlgate`, else the first on PATH.
    static func serverExecutable() -> String? {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((executable as NSString).deletingLastPathComponent + "/mlgate-server")
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/mlgate-server" }
        return candidates.first { access($0, X_OK) == 0 }
    }
}
