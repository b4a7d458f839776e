import Foundation
import MLGateCore
import MLGateStore
import MLGateWorkspace

/// A batch-scoring job's folder: its outputs under their final names, `.mlgate-score.job` holding the job's
/// identity, and `.mlgate-score/` the partitions being scored. The identity (the version's artifact, the command, the partition size
/// and every input file's hash) decides whether a folder's outputs can be kept: the same job resumes, another one
/// is refused, so outputs of two versions or two inputs never mix.
struct ScoreJob: Sendable {
    let version: ModelVersion
    let output: String
    let identity: String
    let description: String
    let files: [String]

    /// `.mlgate-score/` in the output folder.
    var scratch: String { output + "/.mlgate-score" }

    init(version: ModelVersion, spec: ScoringSpec, files: [String], input: String, output: String, rowsPerPartition: Int) throws {
        self.version = version
        self.output = output
        self.files = files
        var text = "artifact \(version.artifact)\ncommand \(spec.command.display)\nwdir \(spec.workingDirectory)\nrows \(rowsPerPartition)\n"
        for file in files {
            let hashed = try ContentHash.file(file)
            text += "input \(file.hasPrefix(input + "/") ? String(file.dropFirst(input.count + 1)) : (file as NSString).lastPathComponent) \(hashed.hash)\n"
        }
        identity = ContentHash.of(Array(text.utf8))
        description = text
    }

    /// Makes the folders and records the job, or refuses when the folder holds another job's outputs.
    func claim() throws {
        try FileAccess.createDirectory(output)
        let marker = output + "/.mlgate-score.job"
        if let recorded = try? String(contentsOfFile: marker, encoding: .utf8) {
            guard recorded.hasPrefix(identity) else {
                throw UsageError("\(output) holds the outputs of another scoring job (another version, command, partition size or input); give an empty folder, or remove it to score again.")
            }
        } else {
            let existing = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter { $0 != ".mlgate-score" && $0 != ".mlgate-score.job" }
            guard existing.isEmpty else {
                throw UsageError("\(output) is not empty (\(existing.sorted().prefix(3).joined(separator: ", "))…); mlgate scores into an empty folder, or one it scored into before.")
            }
        }
        try FileAccess.createDirectory(scratch + "/in")
        try FileAccess.createDirectory(scratch + "/out")
        try AtomicFile.write(identity + "\n" + description, to: marker)
    }

    /// Where a partition's output goes once it is complete.
    func outputPath(_ partition: ScorePartition) -> String { output + "/\(partition.name).\(partition.format.fileExtension)" }

    /// Writes the partition's rows (after the header of a CSV or TSV) as a file of its own for the command.
    func writeInput(_ partition: ScorePartition) throws -> String {
        let path = scratch + "/in/\(partition.name).\(partition.format.fileExtension)"
        guard let handle = FileHandle(forReadingAtPath: partition.file) else { throw FileAccessError("read", partition.file, errno: errno) }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(partition.bytes.lowerBound))
        var bytes = try ScorePartitioner.header(of: partition.file, format: partition.format)
        bytes += try handle.read(upToCount: partition.bytes.count) ?? Data()
        if partition.format != .npy, bytes.last != 10 { bytes.append(10) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw FileAccessError("write", path, errno: errno)
        }
        return path
    }

    /// Checks the command's output (one row per input row, for CSV, TSV and JSON Lines), adds the model's URI to
    /// every row, and moves it under its final name in one rename.
    func publish(_ produced: String, as final: String, partition: ScorePartition, uri: String) throws {
        guard FileManager.default.fileExists(atPath: produced) else { throw EnvironmentError("the score command did not write {output}") }
        guard partition.format != .npy, let rows = partition.rows else {
            return try move(produced, to: final)
        }
        let text = try String(contentsOfFile: produced, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        let written = partition.format == .jsonl ? lines.count : lines.count - 1
        guard written == rows else {
            throw EnvironmentError("the score command wrote \(max(written, 0)) rows for \(rows) input rows; it must write one row per input row, in order")
        }
        switch partition.format {
        case .jsonl:
            lines = try lines.enumerated().map { index, line in
                guard let brace = line.firstIndex(of: "{") else { throw EnvironmentError("output line \(index + 1) is not a JSON object") }
                let rest = line[line.index(after: brace)...]
                let empty = rest.drop { $0 == " " }.first == "}"
                return String(line[...brace]) + "\"model_uri\": \(JSONText.quoted(uri))" + (empty ? "" : ", ") + rest
            }
        case .csv, .tsv:
            let separator = partition.format == .tsv ? "\t" : ","
            lines = lines.enumerated().map { $0.offset == 0 ? $0.element + separator + "model_uri" : $0.element + separator + uri }
        case .npy:
            break
        }
        let staged = produced + ".annotated"
        try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: staged)
        try move(staged, to: final)
        try? FileManager.default.removeItem(atPath: produced)
    }

    private func move(_ source: String, to destination: String) throws {
        guard rename(source, destination) == 0 else { throw FileAccessError("move", destination, errno: errno) }
    }

    /// Removes the scratch folder once every partition is scored (the job marker stays, so a rerun says so).
    func cleanUp() { try? FileManager.default.removeItem(atPath: scratch) }
}
