import Foundation
import MLGateSystem
import MLGateStore

// Hashing and storing throughput of the object store on one core, beside sha256sum and openssl on the
// same file from the same run; then registrations per second and the registry read.
// Usage: mlgate-storebench [MiB] (default 1024) | mlgate-storebench registry [THREADS] [PER-THREAD]

if CommandLine.arguments.dropFirst().first == "registry" {
    let numbers = CommandLine.arguments.dropFirst(2).compactMap { Int($0) }
    try registryBenchmark(threads: numbers.first ?? 16, perThread: numbers.dropFirst().first ?? 100)
    exit(0)
}

let mebibytes = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1024
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlgate-storebench-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
let file = directory + "/model.bin"

// A file of pseudo-random bytes (a trained model compresses about as badly).
FileManager.default.createFile(atPath: file, contents: nil)
let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
var generator = SystemRandomNumberGenerator()
var block = [UInt8](repeating: 0, count: 1 << 20)
for _ in 0..<mebibytes {
    for index in stride(from: 0, to: block.count, by: 8) {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes in for offset in 0..<8 { block[index + offset] = bytes[offset] } }
    }
    try handle.write(contentsOf: Data(block))
}
try handle.close()
let bytes = Double(mebibytes) * 1_048_576

/// Best of `repeats` wall times of `body`, in seconds (the file is in the page cache after the first).
func best(_ repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    var result = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        result = min(result, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return result
}


func toolTime(_ argv: [String]) -> Double? {
    var times: [Double] = []
    for _ in 0..<3 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.min()
}

let hash = try best { _ = try ContentHash.file(file) }
let store = ObjectStore(root: directory + "/objects")
let put = try best(1) { _ = try store.put(file: file) }
let sha256sum = toolTime(["sha256sum", file])
let openssl = toolTime(["openssl", "dgst", "-sha256", file])

func rate(_ seconds: Double) -> String { String(format: "%.2f GB/s", bytes / seconds / 1e9) }
func row(_ name: String, _ seconds: Double?, anchor: Double) -> String {
    guard let seconds else { return "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) not installed" }
    return "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.3f s", seconds))  \(rate(seconds))  (mlgate is \(String(format: "%.2f", seconds / anchor))× as fast)"
}
print("SHA-256 of a \(mebibytes) MiB file in the page cache, one core, best of 3")
print("\("mlgate ContentHash.file (swift-crypto)".padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.3f s", hash))  \(rate(hash))  (goal ≥ 1.5 GB/s)")
print(row("anchor: sha256sum (coreutils)", sha256sum, anchor: hash))
print(row("anchor: openssl dgst -sha256", openssl, anchor: hash))
print("\("mlgate ObjectStore.put (copy, fsync, re-read)".padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.3f s", put))  \(rate(put))")
