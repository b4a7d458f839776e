import MLGateConfig
import MLGateCore
import Testing

@Suite("endpoints in mlgate.yaml")
struct EndpointsConfigTests {
    @Test("every key is read, with loopback, one instance and all traffic to a lone deployment by default")
    func fullAndDefaults() throws {
        let configuration = try ConfigLoader.parse("""
            version: 1
            endpoints:
              churn:
                port: 8700
                bind: 0.0.0.0
                deployments:
                  blue: {model: churn@production, instances: 2, env: {THREADS: 4}, resources: {cpu: "1", memory: 2Gi}}
                  green: {model: churn/3}
                  shadow: {model: churn@challenger}
                traffic: {blue: 90, green: 10}
                mirror: {shadow: 10}
                collect: {inputs: true, outputs: false, sample: 0.25, path: collected/churn}
                limits: {request_timeout_ms: 2000, max_request_bytes: 1024, max_concurrent_requests_per_instance: 4, header_timeout_ms: 500, startup_timeout_ms: 9000, mirror_in_flight: 8}
              fraud:
                port: 8701
                deployments:
                  only: {model: fraud@production}
              azure:
                port: 8702
                deployments:
                  blue: {model: m/1}
                  green: {model: m/2}
                traffic: "blue=0 green=100"
            """, file: "mlgate.yaml")
        let churn = try #require(configuration.endpoints.first { $0.name == "churn" })
        #expect(churn.port == 8700 && churn.bind == "0.0.0.0")
        #expect(churn.deployments.map(\.name) == ["blue", "green", "shadow"])
        #expect(churn.deployments[0] == EndpointDeployment(name: "blue", model: "churn@production", instances: 2, environment: ["THREADS": "4"],
                                                           resources: ["cpu": "1", "memory": "2Gi"]))
        #expect(churn.traffic == TrafficMap(["blue": 90, "green": 10]))
        #expect(churn.mirror == TrafficMirror(deployment: "shadow", percent: 10))
        #expect(churn.collect == CollectSettings(inputs: true, outputs: false, sample: 0.25, path: "collected/churn"))
        #expect(churn.limits == ServeLimits(requestTimeoutMilliseconds: 2000, maxRequestBytes: 1024, maxConcurrentRequestsPerInstance: 4,
                                            headerTimeoutMilliseconds: 500, startupTimeoutMilliseconds: 9000, mirrorInFlight: 8))
        let fraud = try #require(configuration.endpoints.first { $0.name == "fraud" })
        #expect(fraud.limits == ServeLimits() && fraud.limits.requestTimeoutMilliseconds == 5000)
        #expect(fraud.bind == "127.0.0.1" && fraud.deployments[0].instances == 1 && fraud.traffic == TrafficMap(["only": 100]) && fraud.mirror == nil && fraud.collect == nil)
        #expect(configuration.endpoints.first { $0.name == "azure" }?.traffic == TrafficMap(["blue": 0, "green": 100]))
    }

    @Test("bad endpoints are refused at their line, saying what to write", arguments: [
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    colect: {}\n", "5:5", "unknown key 'colect' in endpoint 'e' (did you mean 'collect'?)"),
        ("endpoints:\n  e:\n    deployments: {a: {model: m/1}}\n", "3:5", "endpoint 'e' needs a 'port'"),
        ("endpoints:\n  e:\n    port: 70000\n    deployments: {a: {model: m/1}}\n", "3:11", "must be a number from 1 to 65535"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n", "3:5", "say how live traffic is split"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n    traffic: {a: 90, b: 20}\n", "5:14", "the shares sum to 110"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n    traffic: {a: 90, c: 10}\n", "5:14", "'c' is not a deployment of this endpoint"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n    traffic: \"a=90 b=x\"\n", "5:14", "'b=x' is not NAME=PERCENT"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n    traffic: {a: 100, b: 0}\n    mirror: {b: 60}\n", "6:13", "the mirror's share is 60; it is 1 to 50 percent"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}, b: {model: m/2}}\n    traffic: {a: 90, b: 10}\n    mirror: {b: 10}\n", "6:13", "'b' takes 10% of live traffic, so it cannot also be the mirror"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    mirror: {a: 10, b: 10}\n", "5:13", "names one deployment and its share"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: 'not a uri!'}}\n", "4:30", "deployment 'a' of endpoint 'e'"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {modle: m/1}}\n", "4:23", "unknown key 'modle' in deployment 'a' of endpoint 'e' (did you mean 'model'?)"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1, instances: 0}}\n", "4:46", "'instances' of deployment 'a' of endpoint 'e' must be a number from 1 to 64"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    collect: {sample: 0}\n", "5:23", "more than 0, at most 1"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    collect: {path: .git/x}\n", "5:21", "is inside .git"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    limits: {request_timeout: 5}\n", "5:14", "unknown key 'request_timeout' in 'limits' of endpoint 'e' (did you mean 'request_timeout_ms'?)"),
        ("endpoints:\n  e:\n    port: 1\n    deployments: {a: {model: m/1}}\n    limits: {request_timeout_ms: 0}\n", "5:34", "'limits.request_timeout_ms' of endpoint 'e' must be a whole number from 1 to 180000"),
        ("endpoints:\n  e:\n    port: 8700\n    deployments: {a: {model: m/1}}\n  f:\n    port: 8700\n    deployments: {a: {model: m/1}}\n", "6:11", "endpoints 'e' and 'f' both listen on port 8700"),
    ])
    func refusals(text: String, location: String, message: String) {
        do {
            _ = try ConfigLoader.parse("version: 1\n" + text, file: "mlgate.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            let shifted = location.split(separator: ":").map { Int($0) ?? 0 }
            #expect(error.description.contains("mlgate.yaml:\(shifted[0] + 1):\(shifted[1])"), "\(error.description)")
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test("Azure's traffic grammar: NAME=PERCENT (or NAME:PERCENT, comma-separated), each once, 0 to 100")
    func trafficGrammar() throws {
        #expect(try TrafficMap.parse("blue=90 green=10").get() == TrafficMap(["blue": 90, "green": 10]))
        #expect(try TrafficMap.parse("blue:90,green:10").get() == TrafficMap(["blue": 90, "green": 10]))
        #expect((try? TrafficMap.parse("blue=90 blue=10").get()) == nil)
        #expect((try? TrafficMap.parse("blue=101").get()) == nil)
        #expect((try? TrafficMap.parse("").get()) == nil)
        #expect(TrafficMap(["a": 50, "b": 50]).problem(deployments: ["a", "b"], mirror: nil) == nil)
        #expect(TrafficMap(["a": 0, "b": 0]).problem(deployments: ["a", "b"], mirror: nil) == nil)
        #expect(TrafficMap(["a": 100]).problem(deployments: ["a", "b"], mirror: TrafficMirror(deployment: "b", percent: 50)) == nil)
        #expect(TrafficMap(["a": 100]).description == "a=100")
    }
}
