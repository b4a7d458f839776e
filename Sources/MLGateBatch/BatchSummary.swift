import Foundation
package import MLGateCore

/// What a batch-scoring run did, partition by partition (`score.json` in the output folder, and `--json`).
package struct BatchSummary: Encodable, Sendable {
    /// What became of a partition.
    package enum Status: String, Encodable, Sendable {
        /// Scored by this run.
        case scored
        /// Scored before (its output was there).
        case skipped
        /// Refused (bad rows) or failed every attempt.
        case failed
        /// Not scored: the run was interrupted first.
        case pending
    }

    /// One partition's outcome.
    package struct PartitionResult: Encodable, Sendable {
        enum CodingKeys: String, CodingKey { case name, input, firstLine = "first_line", rows, output, status, attempts, seconds, reason }
        package let name: String
        package let input: String
        package let firstLine: Int
        package let rows: Int?
        package let output: String
        package let status: Status
        package let attempts: Int
        package let seconds: Double
        package let reason: String?

        /// The outcome of `partition`, written to `output`.
        package init(_ partition: ScorePartition, output: String, status: Status, attempts: Int, seconds: Double, reason: String?) {
            name = partition.name
            input = partition.file
            firstLine = partition.firstLine
            rows = partition.rows
            self.output = output
            self.status = status
            self.attempts = attempts
            self.seconds = seconds
            self.reason = reason
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(input, forKey: .input)
            try container.encode(firstLine, forKey: .firstLine)
            try container.encode(rows, forKey: .rows)
            try container.encode(output, forKey: .output)
            try container.encode(status, forKey: .status)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(seconds, forKey: .seconds)
            try container.encode(reason, forKey: .reason)
        }
    }

    enum CodingKeys: String, CodingKey { case model, version, uri, artifact, input, output, partitions, scored, skipped, failed, pending, rows, interrupted, seconds }

    package let version: ModelVersion
    package let input: String
    package let output: String
    package let partitions: [PartitionResult]
    package let interrupted: Bool
    package let seconds: Double

    /// A summary of `partitions` scored with `version`.
    package init(version: ModelVersion, input: String, output: String, partitions: [PartitionResult], interrupted: Bool, seconds: Double) {
        self.version = version
        self.input = input
        self.output = output
        self.partitions = partitions
        self.interrupted = interrupted
        self.seconds = seconds
    }

    /// The partitions that failed.
    package var failed: [PartitionResult] { partitions.filter { $0.status == .failed } }
    /// How many partitions have the status.
    package func count(_ status: Status) -> Int { partitions.filter { $0.status == status }.count }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version.model, forKey: .model)
        try container.encode(version.version, forKey: .version)
        try container.encode(version.uri, forKey: .uri)
        try container.encode(version.artifact, forKey: .artifact)
        try container.encode(input, forKey: .input)
        try container.encode(output, forKey: .output)
        try container.encode(partitions, forKey: .partitions)
        try container.encode(count(.scored), forKey: .scored)
        try container.encode(count(.skipped), forKey: .skipped)
        try container.encode(failed.map(\.name), forKey: .failed)
        try container.encode(count(.pending), forKey: .pending)
        try container.encode(partitions.compactMap(\.rows).reduce(0, +), forKey: .rows)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode(seconds, forKey: .seconds)
    }
}
