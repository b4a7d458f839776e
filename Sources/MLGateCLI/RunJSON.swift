import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import Foundation
import MLGateCore
import MLGateWorkspace
import MLGateSystem
import MLGateStore

/// A run as `--json` prints it: the record plus MLflow's git tags and flattened parameters and metrics.
struct RunJSON: Encodable {
    let record: RunRecord

    init(_ record: RunRecord) { self.record = record }

    enum Keys: String, CodingKey {
        case run, uuid, status, message, trigger, job, startedAt = "started_at", finishedAt = "finished_at", durationMs = "duration_ms"
        case source, tags, params, metrics, metricSources = "metric_sources", environment, stages, logObject = "log_object", targets
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(record.number, forKey: .run)
        try container.encode(record.uuid, forKey: .uuid)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.message, forKey: .message)
        try container.encode(record.trigger, forKey: .trigger)
        try container.encode(record.job, forKey: .job)
        try container.encode(record.targets, forKey: .targets)
        try container.encode(Output.timestamp(record.startedAt / 1000), forKey: .startedAt)
        try container.encode(record.finishedAt.map { Output.timestamp($0 / 1000) }, forKey: .finishedAt)
        try container.encode(record.durationMilliseconds, forKey: .durationMs)
        try container.encode(record.source, forKey: .source)
        try container.encode(record.mlflowTags, forKey: .tags)
        var params: [String: String] = [:]
        for stage in record.stages { for parameter in stage.parameters { params[parameter.key] = parameter.json } }
        try container.encode(params, forKey: .params)
        try container.encode(record.metrics, forKey: .metrics)
        try container.encode(record.metricDetails.compactMapValues { $0.source?.rawValue }, forKey: .metricSources)
        try container.encode(record.environment, forKey: .environment)
        try container.encode(record.stages, forKey: .stages)
        try container.encode(record.logObject, forKey: .logObject)
    }
}
