import Foundation
package import MLGateCore
package import MLGateRegistry

/// What `mlgate monitor profile` shows of a version's profile: where and when it was captured, and per column of the
/// reference its kind, missing share and range or most frequent values, read from the captured file itself.
package struct ProfileSummary: Encodable, Sendable {
    /// One reference column.
    package struct Column: Encodable, Sendable {
        enum CodingKeys: String, CodingKey { case name, kind, nullRate = "null_rate", min, max, mean, distinct, top }
        package let name: String
        /// `numeric`, `categorical` or `ignore` (as the monitor reads it); `label` and `output` for the signals' columns.
        package let kind: String
        package let nullRate: Double
        /// Numeric columns: the smallest, largest and mean present value.
        package let min: Double?
        package let max: Double?
        package let mean: Double?
        /// How many distinct present values.
        package let distinct: Int
        /// Categorical columns: the most frequent values, most frequent first (at most 5).
        package let top: [String]
    }

    enum CodingKeys: String, CodingKey {
        case model, version, profile, reference, predictions, commit, capturedAt = "captured_at", rows, columns
    }
    package let model: String
    /// The version's URI.
    package let version: String
    /// The profile's object hash.
    package let profile: String
    /// The captured files' repository paths.
    package let reference: String
    package let predictions: String?
    package let commit: String?
    package let capturedAt: String
    package let rows: Int
    package let columns: [Column]

    /// The summary of `version`'s profile (opened and removed here), its columns read as `spec` reads them.
    package static func of(_ version: ModelVersion, spec: MonitorSpec?, registry: RegistryContext) throws -> ProfileSummary {
        guard let hash = version.profile, let opened = try registry.openProfile(of: version) else {
            throw UsageError("\(version.uri) has no monitor profile: it was registered before its model had a 'monitor', or its reference file was missing then; register a new version to capture one (docs/monitoring.md#profiles).")
        }
        defer { opened.remove() }
        let names = try DriftCheck.columnNames(opened.reference)
        let table = try DriftCheck.read(opened.reference, names: names, text: Set(names))
        let columns = names.map { name -> Column in
            let cells = DriftCheck.texts(table.cells[name] ?? .texts([]))
            let present = cells.filter { !DriftCheck.missing.contains($0) }
            let declared = spec?.columns[name]?.kind
            let numbers = declared == .categorical ? nil : DriftCheck.numbers(present)
            var counts: [String: Int] = [:]
            for cell in present { counts[cell, default: 0] += 1 }
            let kind = name == spec?.performance?.label ? "label" : name == spec?.prediction?.column ? "output"
                : declared == .ignore ? "ignore" : numbers == nil ? "categorical" : "numeric"
            return Column(name: name, kind: kind, nullRate: cells.isEmpty ? 0 : Double(cells.count - present.count) / Double(cells.count),
                          min: numbers?.min(), max: numbers?.max(), mean: numbers.flatMap { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) },
                          distinct: counts.count,
                          top: numbers == nil ? counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5).map(\.key) : [])
        }
        return ProfileSummary(model: version.model, version: version.uri, profile: hash, reference: opened.profile.reference,
                              predictions: opened.profile.predictions, commit: opened.profile.commit, capturedAt: opened.profile.capturedAt,
                              rows: table.rows, columns: columns)
    }
}
