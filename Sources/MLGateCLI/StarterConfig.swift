import MLGateDeploy
import MLGateLineage
import MLGateRegistry
import MLGatePipeline
import MLGateWorkspace
/// The commented `mlgate.yaml` that `mlgate init` writes when a repository has none.
enum StarterConfig {
    static let text = """
        # mlgate.yaml: how mlgate follows this repository's models. Reference: docs/config.md
        version: 1

        # Monorepos: name the folders that hold separate projects. Lineage then shows which projects
        # each commit touched. A project is `name: path` or `name: {path: path}`.
        # projects:
        #   churn: models/churn

        # Git hooks. pre_push (warn, strict or off) queues training when a push changes a stage's inputs;
        # start_worker runs the queue in the background.
        hooks:
          pre_push: warn
          start_worker: true

        # The training pipeline; 'mlgate run' runs the stages whose inputs changed (docs/pipelines.md).
        # stages:
        #   train:
        #     cmd: python3 train.py
        #     deps: [train.py, data/train.csv]
        #     params: [train]                 # keys of params.yaml
        #     outs: [model/]
        #     metrics: [metrics.json]

        # Models: how each is evaluated, the criteria a candidate must meet, its lifecycle (docs/registry.md).
        # models:
        #   churn:
        #     artifact: model/
        #     evaluate: {cmd: "python3 predict.py --model {model} --out {predictions}", task: binary}
        #     promotion: {champion: production, criteria: [{metric: roc_auc, min: 0.7}]}
        #     lifecycle: {stages: [staging, production], production: {requires: {gate: passed, approvals: 1}}}

        # Deployment targets: where 'mlgate deploy' (and 'mlgate ci' after a passing gate) puts a version
        # (docs/deploy.md). A 'directory' target publishes versions/<model>-v<N>/ and points 'current' at it;
        # a 'command' target runs your own deploy script. 'model' names the stage or alias it serves.
        # deploy:
        #   production: {type: directory, path: /srv/models/churn, model: churn@production}

        # What 'mlgate ci' does after a passing gate on the default branch (docs/ci.md).
        # ci:
        #   promote_to: staging

        """
}
