import Foundation
import MLGateCore
@testable import MLGateDeploy
@testable import MLGateServer
import NIOCore
import NIOHTTP1
import Testing

@Suite("MLGateServer: metrics, request ids, headers and collector records")
struct ServerPartsTests {
    @Test("metrics render in Prometheus' text format: help, type, cumulative buckets, escaped labels")
    func metrics() {
        let metrics = ServeMetrics(endpoint: "shop")
        metrics.answered(deployment: "blue", code: 200, seconds: 0.003)
        metrics.answered(deployment: "blue", code: 200, seconds: 0.2)
        metrics.count("mlgate_rejected_total", ["reason": "body_too_large"])
        metrics.set("mlgate_traffic_percent", ["deployment": "a\"b"], to: 90)
        let text = metrics.render()
        #expect(text.contains("# TYPE mlgate_requests_total counter\nmlgate_requests_total{endpoint=\"shop\",deployment=\"blue\",code=\"200\"} 2\n"))
        #expect(text.contains("mlgate_request_duration_seconds_bucket{endpoint=\"shop\",deployment=\"blue\",le=\"0.0025\"} 0\n"))
        #expect(text.contains("mlgate_request_duration_seconds_bucket{endpoint=\"shop\",deployment=\"blue\",le=\"0.005\"} 1\n"))
        #expect(text.contains("mlgate_request_duration_seconds_bucket{endpoint=\"shop\",deployment=\"blue\",le=\"+Inf\"} 2\n"))
        #expect(text.contains("mlgate_request_duration_seconds_count{endpoint=\"shop\",deployment=\"blue\"} 2\n"))
        #expect(text.contains("mlgate_rejected_total{endpoint=\"shop\",reason=\"body_too_large\"} 1\n"))
        #expect(text.contains("mlgate_traffic_percent{endpoint=\"shop\",deployment=\"a\\\"b\"} 90\n"))
    }

    @Test("a sensible client request id is kept; a missing, long or binary one is replaced by a UUID")
    func requestIDs() {
        var headers = HTTPHeaders([("x-request-id", "abc-123")])
        #expect(Router.requestID(headers) == "abc-123")
        headers.replaceOrAdd(name: "x-request-id", value: String(repeating: "x", count: 200))
        let replaced = Router.requestID(headers)
        #expect(replaced.count == 36 && replaced.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(Router.requestID(HTTPHeaders()) != Router.requestID(HTTPHeaders()))
        #expect(Router.uuidText(0x8000_0000_0000_0001, 0x2a) == "80000000-0000-0001-0000-00000000002a")
        #expect(Router.uuidText(0xFEDC_BA98_7654_3210, 0x0123_4567_89AB_CDEF) == "fedcba98-7654-3210-0123-456789abcdef")
    }

    @Test("hop-by-hop headers and those Connection names are not passed on")
    func endToEnd() {
        let headers = HTTPHeaders([("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "5"), ("Transfer-Encoding", "chunked"),
                                   ("Content-Length", "3"), ("Content-Type", "application/json"), ("Authorization", "Bearer t")])
        let kept = Router.endToEnd(headers)
        #expect(kept.map(\.name) == ["Content-Type", "Authorization"])
        // Names in any case, spaces around the Connection header's tokens, and its `close` option.
        let mixed = HTTPHeaders([("CONNECTION", " close ,\tX-Other "), ("x-other", "1"), ("TE", "trailers"), ("Upgrade", "h2c"), ("content-LENGTH", "0"),
                                 ("Proxy-Connection", "keep-alive"), ("Trailer", "x"), ("close", "kept: not a header the option names"), ("Server", "nginx")])
        #expect(Router.endToEnd(mixed).map(\.name) == ["close", "Server"])
    }

    @Test("collector records: Azure's fields, a one-list object as rows, sampling decided by the request id")
    func records() throws {
        let exchange = DataCollector.Exchange(endpoint: "shop", deployment: "blue", version: "models:/churn/3", requestID: "req-1",
                                              time: Date(timeIntervalSince1970: 1_764_777_600), path: "/predict", method: "POST",
                                              input: ByteBuffer(string: "{\"rows\": [{\"a\": 1}, {\"a\": 2}]}"), output: nil)
        let line = DataCollector.record(exchange, kind: "model_inputs", body: ByteBuffer(string: "{\"rows\": [{\"a\": 1}, {\"a\": 2}]}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["specversion", "id", "source", "type", "datacontenttype", "time", "data", "correlationid", "xrequestid",
                                     "modelversion", "collectdatatype", "agent", "contentrange", "path", "method"])
        #expect(object["type"] as? String == "azureml.inference.model_inputs" && object["correlationid"] as? String == "req-1")
        #expect(object["source"] as? String == "/endpoints/shop/deployments/blue" && object["time"] as? String == "2025-12-03T16:00:00Z")
        #expect((object["data"] as? [[String: Int]]) == [["a": 1], ["a": 2]])
        #expect(object["contentrange"] as? String == "bytes 0-29/30")
        #expect(!line.contains("\n"))
        let text = DataCollector.record(exchange, kind: "model_outputs", body: ByteBuffer(string: "not json\n"))
        #expect(text.contains("\"data\":\"not json\\n\""))
        #expect(CollectedData.hourFolder(Date(timeIntervalSince1970: 1_764_777_600)) == "2025/12/03/16")
        let collector = DataCollector(settings: CollectSettings(sample: 0.5), root: NSTemporaryDirectory() + "/mlgate-collect-\(getpid())", metrics: ServeMetrics(endpoint: "shop"))
        defer { collector.stop() }
        let ids = (0..<2000).map { "request-\($0)" }
        let share = Double(ids.filter(collector.sampled).count) / 2000
        #expect(abs(share - 0.5) < 0.05)
        #expect(ids.map(collector.sampled) == ids.map(collector.sampled))
    }
}
