import Foundation

/// A real S3-compatible server for tests: moto (`moto[server]` from PyPI, which `.ci/run` installs into a venv and
/// names in `MLGATE_MOTO_PYTHON`) on a free loopback port, checking every request's SigV4 signature, with one IAM
/// user's key pair and an empty bucket. Killed on `stop()` or deinit.
public final class S3TestServer {
    private let process = Process()
    private let input = Pipe()
    /// The server's base URL, `http://127.0.0.1:PORT`.
    public let endpoint: String
    /// A key pair the server accepts.
    public let accessKey: String, secretKey: String
    /// A bucket that exists, empty at the start.
    public let bucket: String

    /// The Python that has moto: `$MLGATE_MOTO_PYTHON`, else the venv `.ci/run` makes; nil when neither has it.
    public static var python: String? {
        [ProcessInfo.processInfo.environment["MLGATE_MOTO_PYTHON"], "/tmp/moto-venv/bin/python"].compactMap { $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The server's script, beside this file.
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("moto_s3.py").path

    /// Starts the server and waits for its first line (endpoint and key pair).
    public init() throws {
        guard let python = Self.python else {
            throw TestSupportError("moto is not installed: python3 -m venv /tmp/moto-venv && /tmp/moto-venv/bin/pip install 'moto[server]' (or set MLGATE_MOTO_PYTHON)")
        }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { line.append(byte) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: String],
              let endpoint = object["endpoint"], let accessKey = object["access_key"], let secretKey = object["secret_key"], let bucket = object["bucket"]
        else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestSupportError("moto_s3.py did not start: '\(String(decoding: line, as: UTF8.self))'")
        }
        (self.endpoint, self.accessKey, self.secretKey, self.bucket) = (endpoint, accessKey, secretKey, bucket)
    }

    /// The AWS variables that reach this server with its key pair.
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": accessKey, "AWS_SECRET_ACCESS_KEY": secretKey, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1"]
    }

    /// Writes `text` under `key` of the bucket behind mlgate's back (through boto3), as a damaged or tampered bucket would.
    public func overwrite(_ key: String, with text: String) throws {
        guard let python = Self.python else { throw TestSupportError("moto is not installed") }
        let result = try runProcess(python, [Self.script, "put", endpoint, accessKey, secretKey, bucket, key, text], in: "/",
                                    environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw TestSupportError("boto3 put_object failed: \(result)") }
    }

    /// Stops the server.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
