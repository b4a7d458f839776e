import Foundation
package import MLGateCore
import MLGateGit
import MLGateStore
import MLGateSystem
import MLGateWorkspace

/// A version's monitor profile: the reference data its monitor compares production with (and the model's outputs on
/// it), as they were when the version was registered, kept as one folder object in the object store. A drift check of
/// the champion reads its profile, not today's files, so a data file rewritten since does not move the baseline.
///
/// The folder holds `profile.json` (what was captured, from where, for which model) and the files themselves, under
/// `reference.<ext>` and `predictions.<ext>`: the statistics are exact, on the same rows the reference had.
package struct MonitorProfile: Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case format, model, reference, referenceFile = "reference_file", predictions, predictionsFile = "predictions_file", commit, capturedAt = "captured_at"
    }
    /// `mlgate.profile/1`.
    package var format = MonitorProfile.currentFormat
    /// The model it was captured for.
    package var model: String
    /// The reference's repository path at capture.
    package var reference: String
    /// Its file inside the profile folder.
    package var referenceFile: String
    /// The prediction reference's repository path, when the monitor names one.
    package var predictions: String?
    /// Its file inside the profile folder.
    package var predictionsFile: String?
    /// The commit checked out where it was captured.
    package var commit: String?
    /// When, ISO 8601 UTC.
    package var capturedAt: String

    static let currentFormat = "mlgate.profile/1"

    /// A profile checked out for reading, in a folder of its own that `remove()` deletes.
    package struct Opened: Sendable {
        /// What profile.json says.
        package let profile: MonitorProfile
        /// The checked-out folder.
        package let folder: String
        /// The reference data file, absolute.
        package var reference: String { folder + "/" + profile.referenceFile }
        /// The prediction reference file, absolute, if captured.
        package var predictions: String? { profile.predictionsFile.map { folder + "/" + $0 } }

        /// Deletes the checked-out folder.
        package func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }
}

extension RegistryContext {
    /// Captures `spec`'s monitor reference (and its prediction reference) as a profile folder object; nil when the
    /// model has no monitor. A file the version's run read (`dataHashes`, by repository path) is taken as the run read
    /// it, from the object store, so a worktree changed since does not become the baseline; any other comes from the
    /// checkout at `root`. A missing file is a warning: the version is registered without a profile, and its checks
    /// read the files.
    package func captureProfile(of spec: ModelSpec, root: String, dataHashes: [String: String] = [:]) -> String? {
        guard let monitor = spec.monitor else { return nil }
        let staging = NSTemporaryDirectory() + "mlgate-profile-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        do {
            try FileAccess.createDirectory(staging)
            func copy(_ path: String, as name: String) throws -> String {
                let ext = (path as NSString).pathExtension
                let file = ext.isEmpty ? name : name + "." + ext
                if let hash = dataHashes[path], objects.contains(hash), (try? objects.tree(hash)) == nil {
                    // As the run read it, checked against its hash on the way.
                    try objects.checkout(hash, to: staging + "/" + file)
                    return file
                }
                let source = root + "/" + path
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    throw UsageError("the monitor's \(name) \(path) does not exist in \(root)")
                }
                try FileManager.default.copyItem(atPath: source, toPath: staging + "/" + file)
                return file
            }
            var profile = MonitorProfile(model: spec.name, reference: monitor.reference, referenceFile: try copy(monitor.reference, as: "reference"),
                                         commit: (try? GitRepository.open(at: root).head().commit?.hex) ?? nil,
                                         capturedAt: ISO8601DateFormatter().string(from: Date()))
            if let predictions = monitor.prediction?.reference {
                profile.predictions = predictions
                profile.predictionsFile = try copy(predictions, as: "predictions")
            }
            try AtomicFile.write(try JSONDocument.text(profile), to: staging + "/profile.json")
            try objects.prepare()
            return try objects.put(directory: staging)
        } catch {
            reporter.warning("no monitor profile captured for \(spec.name): \(error); its drift checks will read the files in the repository")
            return nil
        }
    }

    /// Checks out `version`'s profile into a folder of its own, each file checked against its hash on the way; nil,
    /// with a warning, when this store does not hold it (registered elsewhere). A profile captured for another model,
    /// or a damaged one, is refused naming the version.
    package func openProfile(of version: ModelVersion) throws -> MonitorProfile.Opened? {
        guard let hash = version.profile else { return nil }
        guard ContentDigest.isWellFormed(hash), objects.contains(hash) else {
            // Registered elsewhere and not fetched yet: the files stand in, and the next pull brings the profile.
            reporter.warning("the monitor profile of \(version.uri) (\(hash.prefix(12))) is not in this object store, so this check reads the monitor's files; 'mlgate pull --all' fetches it from remote.objects.")
            return nil
        }
        let folder = NSTemporaryDirectory() + "mlgate-profile-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        do {
            try objects.checkout(hash, to: folder)
        } catch {
            throw UsageError("the monitor profile of \(version.uri) cannot be read: \(error); run 'mlgate pull' if it was registered elsewhere, or 'mlgate fsck'.")
        }
        let opened: MonitorProfile.Opened
        do {
            let profile = try JSONDecoder().decode(MonitorProfile.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/profile.json")))
            opened = MonitorProfile.Opened(profile: profile, folder: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw UsageError("the monitor profile of \(version.uri) has no readable profile.json (\(error)); it is not a profile mlgate wrote.")
        }
        guard opened.profile.format == MonitorProfile.currentFormat, opened.profile.model == version.model else {
            opened.remove()
            throw UsageError("the monitor profile attached to \(version.uri) was captured for model '\(opened.profile.model)' (\(opened.profile.format)), not '\(version.model)'; it cannot be its baseline. Check the model against its files with --reference-files.")
        }
        return opened
    }
}
