import Foundation
import MLGateCore
import MLGateSystem
import MLGateStore

/// Registrations per second on one SQLite store, in process: `threads` connections registering versions of one
/// model at once (each a BEGIN IMMEDIATE transaction with its audit row and event, synchronous=FULL), then
/// the time to read the whole registry back. The anchor is the same number of bare `INSERT` transactions.
func registryBenchmark(threads: Int, perThread: Int) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-registrybench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/store.sqlite"
    _ = try Store(path: path)
    let artifact = String(repeating: "a", count: 64)
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        guard let store = try? Store(path: path) else { return }
        for _ in 0..<perThread {
            _ = try? store.register(model: "churn", NewModelVersion(artifact: artifact, artifactIsDirectory: false),
                                    by: RegistryActor(name: "bench \(thread)"))
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let store = try Store(path: path)
    let total = threads * perThread
    let versions = try store.versions(model: "churn").count
    let readStart = DispatchTime.now().uptimeNanoseconds
    _ = try store.versions(model: nil)
    let read = Double(DispatchTime.now().uptimeNanoseconds - readStart) / 1e6
    print("registrations: \(threads) threads × \(perThread) on one store: \(total) in \(String(format: "%.2f", seconds)) s = \(Int(Double(total) / seconds))/s (goal ≥ 1,000/s); \(versions) versions, \(try store.verifyAudit() == nil ? "audit intact" : "AUDIT BROKEN")")
    print("registry read: all \(versions) versions with their aliases in \(String(format: "%.2f", read)) ms (goal ≤ 20 ms at 1,500)")
}
