// swift-tools-version:6.1
import PackageDescription

/// Settings every mlgate target shares: Swift 6 mode (from the tools version), no implicit existentials,
/// and imports that stay internal unless a module re-exports a type on purpose.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "mlgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mlgate", targets: ["mlgate"]),
        .executable(name: "mlgate-hook", targets: ["mlgate-hook"]),
        .executable(name: "mlgate-server", targets: ["mlgate-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // Only the router (MLGateServer, mlgate-server) links SwiftNIO; mlgate and mlgate-hook never do.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        // MARK: C shims — one module per C library, imported by exactly one Swift module.
        // libgit2 is dlopen'ed on the first git call, never linked (about 3.5 ms of loading per process saved for
        // commands that never touch git); <git2.h> (libgit2-dev) is needed at build time, git2.c is generated from it.
        .target(name: "CGit2", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // libcurl is dlopen'ed on the first request, never linked, so start-up and the hook path don't load it;
        // <curl/curl.h> (libcurl4-openssl-dev) is needed at build time for constants only.
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // glibc's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not show.
        .target(name: "CSpawnShim"),

        // MARK: Core — pure Swift, no C, no I/O; the evaluation kernel uses the standard library and libm only.
        .target(name: "MLGateCore", swiftSettings: swiftSettings),
        .target(name: "MLGateEval", swiftSettings: swiftSettings),
        .target(name: "MLGateData", dependencies: ["MLGateEval"], swiftSettings: swiftSettings),

        // MARK: System — POSIX files, locks, the store's layout and path confinement, without Foundation, for
        // every module including the hook path.
        .target(name: "MLGateSystem", dependencies: ["MLGateCore"], swiftSettings: swiftSettings),

        // MARK: Hook path — what a git hook needs, with no Foundation, libgit2 or SQLite, so the
        // `mlgate-hook` binary starts in about a millisecond.
        .target(name: "MLGateHooks", dependencies: ["MLGateCore", "MLGateSystem"], swiftSettings: swiftSettings),
        .executableTarget(name: "mlgate-hook", dependencies: ["MLGateHooks"], swiftSettings: swiftSettings),

        // MARK: Adapters — each owns one outside dependency and speaks Core types.
        .target(name: "MLGateGit", dependencies: ["CGit2", "MLGateCore"], swiftSettings: swiftSettings),
        .target(
            name: "MLGateStore",
            dependencies: [
                "MLGateCore", "MLGateSystem", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MLGateConfig",
            dependencies: ["MLGateCore", "MLGateSystem", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(name: "MLGateNotify", dependencies: ["CCurlShim"], swiftSettings: swiftSettings),
        .target(
            name: "MLGateS3",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateNotify", "MLGateEval", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // MARK: Services — the loop's parts as libraries the CLI, a server and CI share: no ArgumentParser, no printing.
        .target(
            name: "MLGateWorkspace",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGatePipeline",
            dependencies: ["CSpawnShim", "MLGateCore", "MLGateSystem", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateWorkspace", "MLGateS3"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateRegistry",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateWorkspace"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateLineage",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateWorkspace"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateDeploy",
            dependencies: ["MLGateData", "MLGateCore", "MLGateSystem", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateWorkspace", "MLGatePipeline",
                           "MLGateRegistry"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateEvaluation",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateEval", "MLGateData", "MLGateStore", "MLGateConfig", "MLGateWorkspace",
                           "MLGatePipeline", "MLGateRegistry"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateBatch",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateStore", "MLGateWorkspace", "MLGatePipeline", "MLGateRegistry"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateMonitor",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateData", "MLGateEval", "MLGateStore", "MLGateGit", "MLGateWorkspace", "MLGatePipeline",
                           "MLGateRegistry", "MLGateDeploy", "MLGateEvaluation"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateCI",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateNotify", "MLGateWorkspace",
                           "MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvaluation"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "MLGateEvents",
            dependencies: ["MLGateCore", "MLGateSystem", "MLGateStore", "MLGateConfig", "MLGateNotify", "MLGateWorkspace", "MLGatePipeline",
                           "MLGateRegistry", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // MARK: CLI — commands, output, and the one place errors become exit codes.
        .target(
            name: "MLGateCLI",
            dependencies: [
                "MLGateCore", "MLGateSystem", "MLGateEval", "MLGateData", "MLGateHooks", "MLGateGit", "MLGateStore", "MLGateConfig", "MLGateNotify",
                "MLGateWorkspace", "MLGatePipeline", "MLGateRegistry", "MLGateLineage", "MLGateDeploy", "MLGateEvaluation", "MLGateCI", "MLGateBatch", "MLGateMonitor", "MLGateEvents",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "mlgate", dependencies: ["MLGateCLI"], swiftSettings: swiftSettings),

        // MARK: Server — the endpoint router on SwiftNIO, its own executable product (`mlgate serve` execs it), so
        // neither `mlgate` nor `mlgate-hook` loads NIO.
        .target(
            name: "MLGateServer",
            dependencies: [
                "MLGateCore", "MLGateSystem", "MLGateStore", "MLGateWorkspace", "MLGatePipeline", "MLGateRegistry", "MLGateDeploy", "MLGateEvents",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "mlgate-server", dependencies: ["MLGateServer"], swiftSettings: swiftSettings),

        // MARK: Benchmarks — executables that time the kernel beside anchors (Benchmarks/eval.sh).
        .executableTarget(name: "mlgate-evalbench", dependencies: ["MLGateEval", "MLGateData"], path: "Benchmarks/EvalBench",
                          swiftSettings: swiftSettings),
        .executableTarget(name: "mlgate-storebench", dependencies: ["MLGateStore", "MLGateCore"], path: "Benchmarks/StoreBench",
                          swiftSettings: swiftSettings),

        // MARK: Tests — shared helpers, then one target per module.
        .target(name: "MLGateTestSupport", dependencies: ["MLGateCore"], exclude: ["moto_s3.py", "schema_check.py"], swiftSettings: swiftSettings),
        .target(name: "MLGateServiceTestSupport", dependencies: ["MLGateTestSupport", "MLGateSystem", "MLGateStore", "MLGateWorkspace"],
                swiftSettings: swiftSettings),
        .testTarget(name: "MLGateDataTests", dependencies: ["MLGateData", "MLGateTestSupport"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateEvalTests", dependencies: ["MLGateEval", "MLGateCore", "MLGateTestSupport"], exclude: ["Fixtures"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MLGateCoreTests", dependencies: ["MLGateCore", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateHooksTests", dependencies: ["MLGateHooks", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateGitTests", dependencies: ["MLGateGit", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "MLGateStoreTests",
            dependencies: ["MLGateStore", "MLGateTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MLGateNotifyTests", dependencies: ["MLGateNotify", "MLGateTestSupport"], exclude: ["fake_forge.py"], swiftSettings: swiftSettings
        ),
        .testTarget(name: "MLGateConfigTests", dependencies: ["MLGateConfig", "MLGateTestSupport"], swiftSettings: swiftSettings),
        // The service modules, each through its API on real temp repositories and SQLite files.
        .testTarget(name: "MLGateSystemTests", dependencies: ["MLGateSystem", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateWorkspaceTests", dependencies: ["MLGateWorkspace", "MLGateCore", "MLGateServiceTestSupport", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGatePipelineTests", dependencies: ["MLGatePipeline", "MLGateCore", "MLGateS3", "MLGateStore", "MLGateWorkspace", "MLGateServiceTestSupport", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateRegistryTests", dependencies: ["MLGateRegistry", "MLGateCore", "MLGateStore", "MLGateServiceTestSupport", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateLineageTests", dependencies: ["MLGateLineage", "MLGateCore", "MLGateGit", "MLGateStore", "MLGateSystem", "MLGateWorkspace", "MLGateServiceTestSupport", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateDeployTests", dependencies: ["MLGateDeploy", "MLGateRegistry", "MLGateCore", "MLGateStore", "MLGateServiceTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateEvaluationTests", dependencies: ["MLGateEvaluation", "MLGateRegistry", "MLGateCore", "MLGateEval", "MLGateWorkspace", "MLGateServiceTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateBatchTests", dependencies: ["MLGateBatch", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateServerTests", dependencies: ["MLGateServer", "MLGateDeploy", "MLGateCore", "MLGateTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MLGateS3Tests", dependencies: ["MLGateS3", "MLGateNotify", "MLGateStore", "MLGateCore", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateEventsTests", dependencies: ["MLGateEvents", "MLGateNotify", "MLGateStore", "MLGateCore"], swiftSettings: swiftSettings),
        .testTarget(name: "MLGateCITests", dependencies: ["MLGateCI", "MLGateTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "MLGateCLITests",
            dependencies: ["MLGateCLI", "MLGateHooks", "MLGatePipeline", "MLGateTestSupport", .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
